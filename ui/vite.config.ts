import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The console is served from the Tauri binary (custom protocol), so assets use relative paths.
export default defineConfig({
  base: "./",
  plugins: [svelte()],
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
  test: { include: ["src/**/*.test.ts"] },
});
