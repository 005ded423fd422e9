import { tangram } from "@tangram/vite-plugin";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [tangram({ outDir: "../src/tangram_ship162/dist-frontend" })],
});
