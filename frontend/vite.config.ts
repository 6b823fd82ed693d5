import { defineConfig } from "vite";

// `npm run dev` serves the SPA with hot reload and forwards /api to a running `make dev`
// (or `python -m infra.local`), so the browser sees one origin exactly as in production.
const apiTarget = process.env.VS_API_PROXY ?? "http://127.0.0.1:8000";

export default defineConfig({
  // JSX through esbuild's automatic runtime: no React plugin, whose install fails where npm is still 10
  // (docs of this machine kind); Fast Refresh in `npm run dev` is the only thing it would add.
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under assets/ let the server cache them forever (see infra/local/server.py).
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: apiTarget, changeOrigin: false },
    },
  },
});
