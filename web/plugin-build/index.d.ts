import type { PluginOption } from "vite";

export interface TangramPluginOptions {
  /** Folder the Python plugin's `frontend_path` points to (emptied on each build). */
  outDir: string;
  /** The module exporting `install(api)`; default `src/index.ts`. */
  entry?: string;
  /** Compile `.vue` files with @vitejs/plugin-vue; default true. */
  vue?: boolean;
  /** Extra bare specifiers to leave to the browser (besides the shared libraries). */
  external?: string[];
}

/** Bare specifiers the shell provides through its import map; never bundled. */
export declare const SHARED_MODULES: readonly string[];

/** Everything a tangram plugin frontend needs to build, as Vite plugins. */
export declare function tangram(options: TangramPluginOptions): PluginOption[];

export default tangram;
