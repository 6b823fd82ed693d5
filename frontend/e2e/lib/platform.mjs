// Starts the platform exactly as `make dev` does (python -m infra.local) on a free port with its own
// data dir and a generated admin password, and stops it with SIGINT like Ctrl-C.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");
const STARTUP_SECONDS = 150;

export async function startPlatform({ logFile }) {
  const python = process.env.VS_PYTHON || join(REPO_ROOT, ".venv", "bin", "python");
  if (!existsSync(python)) throw new Error(`${python} is missing: run \`make install\` in the repository root first`);
  if (!existsSync(join(REPO_ROOT, "frontend", "dist", "index.html"))) {
    throw new Error("frontend/dist is missing: run `npm run build` in frontend/ first (the e2e suite tests the built SPA)");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "visionsuit-e2e-"));
  const admin = { email: "admin@e2e.visionsuit.test", password: randomBytes(18).toString("base64url") };
  // A clean environment: no endpoints or settings of another stack leak into this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|VS_|MOTO_)/.test(k)));
  Object.assign(env, {
    VS_DATA_DIR: dataDir, VS_ADMIN_EMAIL: admin.email, VS_ADMIN_PASSWORD: admin.password, PYTHONUNBUFFERED: "1",
  });
  const child = spawn(python, ["-m", "infra.local", "--port", "0"], {
    cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(logFile);
  let output = "";
  const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  const ready = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`platform did not start within ${STARTUP_SECONDS}s:\n${output.slice(-3000)}`)),
      STARTUP_SECONDS * 1000);
    const onData = (chunk) => {
      log.write(chunk);
      if (output.length < 200_000) output += chunk.toString();
      const url = /running at (http:\/\/\S+)/.exec(output);
      if (url && output.includes("Press Ctrl-C")) {
        clearTimeout(timer);
        done(url[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`platform exited (${code ?? signal}) before it was ready:\n${output.slice(-3000)}`));
    });
  });
  let baseUrl;
  try {
    baseUrl = await ready;
  } catch (error) {
    child.kill("SIGKILL");
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const { code, signal } = await exited;
      clearTimeout(killer);
      if (code !== 0) console.error(`platform stopped with ${code ?? signal}; see ${logFile}`);
    }
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { baseUrl, admin, stop };
}
