/**
 * Light and dark themes. The preference is the user's own choice (remembered in
 * localStorage), else `[core] theme` from the manifest, else "auto", which follows the
 * browser's `prefers-color-scheme` and its changes. The theme in force is written to
 * `<html data-theme>`, which style.css maps to the `--tg-*` variables.
 */
import { computed, ref, watch } from "vue";
import type { ThemeApi, ThemeName, ThemePreference } from "@tangram/api";

const STORAGE_KEY = "tangram.theme";
const PREFERENCES: readonly ThemePreference[] = ["auto", "light", "dark"];

function isPreference(value: unknown): value is ThemePreference {
  return typeof value === "string" && (PREFERENCES as readonly string[]).includes(value);
}

function stored(): ThemePreference | null {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isPreference(value) ? value : null;
  } catch {
    return null; // storage disabled
  }
}

export interface ThemeController extends ThemeApi {
  /** Cycle auto -> light -> dark (the top-bar button). */
  cycle(): void;
}

export function createTheme(configured: unknown): ThemeController {
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  const systemDark = ref(query.matches);
  query.addEventListener("change", (event) => (systemDark.value = event.matches));

  const preference = ref<ThemePreference>(stored() ?? (isPreference(configured) ? configured : "auto"));
  const current = computed<ThemeName>(() =>
    preference.value === "auto" ? (systemDark.value ? "dark" : "light") : preference.value,
  );
  const apply = (): void => {
    document.documentElement.dataset.theme = current.value;
    document.documentElement.style.colorScheme = current.value;
  };
  apply();
  watch(current, apply, { flush: "sync" });

  const set = (value: ThemePreference): void => {
    if (!isPreference(value)) throw new Error(`theme ${JSON.stringify(value)}: expected one of ${PREFERENCES.join(", ")}`);
    preference.value = value;
    try {
      window.localStorage.setItem(STORAGE_KEY, value);
    } catch {
      // not remembered, still applied
    }
  };
  return {
    current,
    preference,
    set,
    cycle: () => set(PREFERENCES[(PREFERENCES.indexOf(preference.value) + 1) % PREFERENCES.length]),
  };
}
