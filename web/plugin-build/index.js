// Builds a tangram plugin frontend. The shell provides vue, maplibre-gl, phoenix and
// @tangram/api once, through its import map, so they stay external here: bundling a
// second Vue would give the plugin its own reactivity system and break its widgets.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import vuePlugin from "@vitejs/plugin-vue";

export const SHARED_MODULES = Object.freeze(["vue", "maplibre-gl", "phoenix", "@tangram/api"]);

const MAIN = "index.js";
const STYLE = "style.css";

function isShared(id, extra) {
  // CSS files of shared packages (e.g. maplibre-gl/dist/maplibre-gl.css) may be bundled.
  if (id.endsWith(".css")) return false;
  return [...SHARED_MODULES, ...extra].some((name) => id === name || id.startsWith(`${name}/`));
}

export function tangram(options) {
  if (!options || typeof options.outDir !== "string") {
    throw new Error(
      '@tangram/vite-plugin: tangram({ outDir }) is required, e.g. tangram({ outDir: "../src/my_plugin/dist-frontend" })',
    );
  }
  const extra = options.external ?? [];
  const core = {
    name: "tangram-plugin-frontend",
    config(_config, env) {
      return {
        // Library mode does not replace process.env.NODE_ENV, which Vue code relies on.
        define: { "process.env.NODE_ENV": JSON.stringify(env.mode === "development" ? "development" : "production") },
        build: {
          outDir: resolve(options.outDir),
          emptyOutDir: true,
          target: "es2022",
          lib: {
            entry: resolve(options.entry ?? "src/index.ts"),
            formats: ["es"],
            fileName: () => MAIN,
            cssFileName: "style",
          },
          rollupOptions: {
            external: (id) => isShared(id, extra),
          },
        },
      };
    },
    // After every other plugin (Vite's CSS plugin adds style.css late), so the
    // manifest names exactly the files that were written.
    writeBundle(outputOptions, bundle) {
      const meta = { main: MAIN };
      if (Object.values(bundle).some((file) => file.fileName === STYLE)) meta.style = STYLE;
      writeFileSync(join(outputOptions.dir, "plugin.json"), `${JSON.stringify(meta, null, 2)}\n`);
    },
  };
  return options.vue === false ? [core] : [vuePlugin(), core];
}

export default tangram;
