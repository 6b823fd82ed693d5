// Live service LEDs from GET /api/health (polled every 15 s): front end, API, storage, GPU agent.
import { useHealth } from "../api/site";
import type { Health } from "../api/types";

type Level = "ok" | "warn" | "down" | "unknown";
interface Led {
  name: string;
  level: Level;
  detail: string;
}

const LEVEL_WORD: Record<Level, string> = { ok: "online", warn: "degraded", down: "offline", unknown: "checking" };

export function ledsFrom(health: Health | undefined, failed: boolean): Led[] {
  const frontEnd: Led = { name: "Front end", level: "ok", detail: "online" };
  if (failed) {
    return [
      frontEnd,
      { name: "API", level: "down", detail: "unreachable" },
      { name: "Storage", level: "unknown", detail: "unknown" },
      { name: "GPU agent", level: "unknown", detail: "unknown" },
    ];
  }
  if (!health) {
    return [frontEnd, ...["API", "Storage", "GPU agent"].map((name) => ({ name, level: "unknown" as Level, detail: "checking" }))];
  }
  const c = health.components;
  const apiLevel: Level = health.status === "ok" ? "ok" : "warn";
  const storage: Level = c.storage === undefined ? "unknown" : c.storage === "ok" ? "ok" : "down";
  const gpu: Level = c.gpuAgent === "online" ? "ok" : c.gpuAgent === "offline" ? "down" : c.gpuAgent === "none" ? "down" : "unknown";
  const gpuDetail = c.gpuAgent === "none" ? "no agent registered" : (c.gpuAgent ?? "unknown");
  return [
    frontEnd,
    { name: "API", level: apiLevel, detail: health.status === "ok" ? "online" : "degraded" },
    { name: "Storage", level: storage, detail: c.storage === "ok" ? "online" : (c.storage ?? "unknown") },
    { name: "GPU agent", level: gpu, detail: gpuDetail },
  ];
}

export function ServiceLeds() {
  const health = useHealth();
  const leds = ledsFrom(health.data, health.isError);
  return (
    <ul className="vs-leds" aria-label="Service status">
      {leds.map((led) => (
        <li key={led.name} className="vs-led" title={`${led.name}: ${led.detail}`} data-testid={`led-${led.name}`}>
          <span className={`vs-led__dot vs-led__dot--${led.level}`} aria-hidden="true" />
          <span className="vs-led__name">{led.name}</span>
          <span className="vs-visually-hidden">: {LEVEL_WORD[led.level]}</span>
        </li>
      ))}
    </ul>
  );
}
