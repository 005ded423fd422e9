/**
 * Writes the import map into index.html at build time.
 *
 * The shared libraries are separate entry chunks with content hashes in their names;
 * the map points the bare specifiers plugins import (`vue`, `maplibre-gl`, `phoenix`,
 * `@tangram/api`) at those exact files, so the browser loads each library once and the
 * shell and its plugins share one Vue runtime (one reactivity system).
 */
import type { Plugin } from "vite";

export function importMap(entries: Record<string, string>): Plugin {
  return {
    name: "tangram-import-map",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const imports: Record<string, string> = {};
        for (const chunk of Object.values(ctx.bundle ?? {})) {
          if (chunk.type !== "chunk" || !chunk.isEntry) continue;
          const specifier = entries[chunk.name];
          if (specifier) imports[specifier] = `./${chunk.fileName}`;
        }
        const missing = Object.values(entries).filter((specifier) => !(specifier in imports));
        if (missing.length > 0) throw new Error(`import map: no vendor chunk for ${missing.join(", ")}`);
        return [
          { tag: "script", attrs: { type: "importmap" }, children: JSON.stringify({ imports }, null, 2), injectTo: "head-prepend" },
        ];
      },
    },
  };
}
