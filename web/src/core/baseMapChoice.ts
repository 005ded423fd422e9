/** Which base map to show: the configured one, the built-in one or a common online one. */
import type { StyleSpecification } from "maplibre-gl";
import type { ThemeName } from "@tangram/api";
import { ref } from "vue";
import { OFFLINE, ONLINE_CHOICES, offlineStyle, resolveStyleUrl, type BaseMapChoice } from "./basemap";
import type { Manifest } from "./manifest";
import type { Shell } from "./plugins";

const STORAGE_KEY = "tangram.basemap";

/** Id of the base map shown now (the picker follows it, e.g. after a fallback). */
export const currentChoiceId = ref<string>(OFFLINE.id);

export function baseMapChoices(manifest: Manifest): BaseMapChoice[] {
  const configured = manifest.map.style
    ? [{ id: "configured", label: "Configured style", style: resolveStyleUrl(manifest.map.style) }]
    : [];
  return [...configured, OFFLINE, ...ONLINE_CHOICES];
}

export function savedChoice(manifest: Manifest): BaseMapChoice {
  const choices = baseMapChoices(manifest);
  let saved: string | null = null;
  try {
    saved = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage disabled: fall back to the default
  }
  const choice = choices.find((item) => item.id === saved) ?? choices[0];
  currentChoiceId.value = choice.id;
  return choice;
}

export function styleOf(choice: BaseMapChoice, theme: ThemeName): Promise<StyleSpecification | string> {
  return choice.style === null ? offlineStyle(theme) : Promise.resolve(choice.style);
}

/** `remember`: keep the choice for next time (false for one opened from a link). */
export async function switchBaseMap(shell: Shell, choice: BaseMapChoice, remember = true): Promise<void> {
  currentChoiceId.value = choice.id;
  if (remember) {
    try {
      window.localStorage.setItem(STORAGE_KEY, choice.id);
    } catch {
      // not fatal: the choice just is not remembered
    }
  }
  shell.mapHost.setBaseStyle(await styleOf(choice, shell.theme.current.value));
}

/** The base map named by a link's `base=`, if it is one of the choices. */
export function choiceById(manifest: Manifest, id: string): BaseMapChoice | undefined {
  return baseMapChoices(manifest).find((choice) => choice.id === id);
}
