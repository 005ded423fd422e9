/** Helpers for entity widgets: the selected entity's state, number formatting. */
import { computed, type ComputedRef } from "vue";
import type { TangramApi } from "@tangram/api";

/** The state of the first selected entity of `typeName`, or null. */
export function selectedState<S>(api: TangramApi, typeName: string): ComputedRef<S | null> {
  return computed(() => {
    const entity = api.state.selected.value.find((e) => e.typeName === typeName);
    return entity ? (entity.state as S) : null;
  });
}

/** `1,234 ft`, or `–` when unknown (en-GB grouping, at most `digits` decimals). */
export function formatNumber(value: number | null | undefined, unit: string, digits = 0): string {
  if (value === null || value === undefined) return "–";
  return `${value.toLocaleString("en-GB", { maximumFractionDigits: digits })} ${unit}`.trim();
}
