/**
 * User-visible problems (a plugin that failed to load, a base map that cannot be
 * fetched). Each is also logged to the console so that developers see the stack.
 */
import { reactive } from "vue";

export interface Notice {
  id: number;
  level: "error" | "warning";
  source: string;
  message: string;
}

let nextId = 1;

export const notices = reactive<Notice[]>([]);

export function reportError(source: string, message: string, cause?: unknown): void {
  notices.push({ id: nextId++, level: "error", source, message });
  console.error(`[tangram] ${source}: ${message}`, ...(cause === undefined ? [] : [cause]));
}

export function reportWarning(source: string, message: string): void {
  notices.push({ id: nextId++, level: "warning", source, message });
  console.warn(`[tangram] ${source}: ${message}`);
}

export function dismiss(id: number): void {
  const index = notices.findIndex((notice) => notice.id === id);
  if (index >= 0) notices.splice(index, 1);
}
