/**
 * The runtime half of `@tangram/api` (the types live in `web/api/index.d.ts`).
 *
 * It is built as a vendor entry and shared with plugins through the import map, so the
 * injection key below is the same object for the shell and every plugin.
 */
import { inject, type InjectionKey } from "vue";
import type { PluginInstall, TangramApi } from "@tangram/api";

export const TANGRAM_API: InjectionKey<TangramApi> = Symbol("tangram-api");

export function useTangram(): TangramApi {
  const api = inject(TANGRAM_API, null);
  if (api === null) {
    throw new Error(
      "useTangram() found no tangram API: call it inside setup() of a component " +
        "registered with api.ui.registerWidget (or one of its children)",
    );
  }
  return api;
}

export function definePlugin(install: PluginInstall): PluginInstall {
  return install;
}
