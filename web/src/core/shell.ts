/** The injection key through which shell components reach the shell's services. */
import { inject, type InjectionKey } from "vue";
import type { Shell } from "./plugins";

export const SHELL: InjectionKey<Shell> = Symbol("tangram-shell");

export function useShell(): Shell {
  const shell = inject(SHELL, null);
  if (shell === null) throw new Error("useShell() outside of the tangram shell");
  return shell;
}
