/**
 * The widget registry. Order is deterministic: by the plugin's position in
 * `[core] plugins`, then by registration order within the plugin, whatever order the
 * plugin modules happen to finish loading in.
 */
import { computed, markRaw, shallowReactive, type Component, type ComputedRef } from "vue";
import type { TangramApi, WidgetEntry, WidgetSlot } from "@tangram/api";

export const SLOTS: readonly WidgetSlot[] = ["TopBar", "SideBar", "MapOverlay"];

export interface RegisteredWidget extends WidgetEntry {
  readonly pluginIndex: number;
  readonly seq: number;
  readonly api: TangramApi;
}

const widgets = shallowReactive<RegisteredWidget[]>([]);
let seq = 0;

export function addWidget(
  id: string,
  slot: WidgetSlot,
  component: Component,
  owner: { name: string; index: number; api: TangramApi },
): () => void {
  if (!SLOTS.includes(slot)) {
    throw new Error(
      `plugin ${owner.name}: registerWidget(${JSON.stringify(id)}) got slot ` +
        `${JSON.stringify(slot)}; expected one of ${SLOTS.join(", ")}`,
    );
  }
  const taken = widgets.find((widget) => widget.id === id);
  if (taken) {
    throw new Error(
      `plugin ${owner.name}: widget id ${JSON.stringify(id)} is already registered by ` +
        `plugin ${taken.plugin}; choose another id (prefix it with your plugin name)`,
    );
  }
  const entry: RegisteredWidget = {
    id,
    slot,
    plugin: owner.name,
    component: markRaw(component),
    pluginIndex: owner.index,
    seq: seq++,
    api: owner.api,
  };
  widgets.push(entry);
  return () => {
    const index = widgets.indexOf(entry);
    if (index >= 0) widgets.splice(index, 1);
  };
}

export function widgetsIn(slot: WidgetSlot): ComputedRef<RegisteredWidget[]> {
  return computed(() =>
    widgets
      .filter((widget) => widget.slot === slot)
      .sort((a, b) => a.pluginIndex - b.pluginIndex || a.seq - b.seq),
  );
}
