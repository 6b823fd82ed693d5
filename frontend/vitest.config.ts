import { defineConfig } from "vitest/config";

export default defineConfig({
  // JSX through esbuild's automatic runtime: no React plugin, whose install fails where npm is still 10
  // (docs of this machine kind); Fast Refresh in `npm run dev` is the only thing it would add.
  esbuild: { jsx: "automatic" },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
  },
});
