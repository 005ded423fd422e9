import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";
import { importMap } from "./vite/import-map";

/** Entry name -> bare specifier that plugins import (see vite/import-map.ts). */
const VENDOR: Record<string, string> = {
  "vendor-vue": "vue",
  "vendor-maplibre-gl": "maplibre-gl",
  "vendor-phoenix": "phoenix",
  "vendor-tangram-api": "@tangram/api",
};

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // Relative URLs: the app also works behind a reverse proxy under a path prefix.
  base: "./",
  plugins: [vue(), importMap(VENDOR)],
  build: {
    outDir: here("../src/tangram/web/dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        index: here("index.html"),
        "vendor-vue": here("src/vendor/vue.ts"),
        "vendor-maplibre-gl": here("src/vendor/maplibre-gl.ts"),
        "vendor-phoenix": here("src/vendor/phoenix.ts"),
        "vendor-tangram-api": here("src/vendor/tangram-api.ts"),
      },
      // Keep every export of the vendor entries: plugins import names the shell never uses.
      preserveEntrySignatures: "strict",
      output: {
        entryFileNames: (chunk) => (chunk.name in VENDOR ? "vendor/[name]-[hash].js" : "assets/[name]-[hash].js"),
      },
    },
  },
});
