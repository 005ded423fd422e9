/**
 * Search providers behind the command palette. Plugins register providers (a function,
 * or an HTTP endpoint plus a mapping of its JSON); a query runs every provider in
 * parallel, each with an abort signal and a time limit, and results are grouped by
 * provider, the group with the best score first.
 */
import { ref, shallowReactive } from "vue";
import type { SearchProvider, SearchResult } from "@tangram/api";

/** At most this many results per provider are shown. */
export const MAX_PER_PROVIDER = 8;
/** A provider slower than this is left out of the answer (the others still show). */
export const PROVIDER_TIMEOUT_MS = 4000;
/** Longest query sent to providers. */
export const MAX_QUERY = 64;

export interface ResultGroup {
  provider: string;
  label: string;
  results: SearchResult[];
}

interface Entry {
  provider: SearchProvider;
  owner: string;
}

export class SearchRegistry {
  readonly providers = shallowReactive<Entry[]>([]);
  /** The palette's visibility and the text it opens with (`api.search.open`). */
  readonly visible = ref(false);
  readonly initialQuery = ref("");

  open(query = ""): void {
    this.initialQuery.value = query;
    this.visible.value = true;
  }

  register(provider: SearchProvider, owner: string): () => void {
    const taken = this.providers.find((entry) => entry.provider.id === provider.id);
    if (taken) {
      throw new Error(
        `plugin ${owner}: search provider ${JSON.stringify(provider.id)} is already registered by ` +
          `${taken.owner}; choose another id (prefix it with your plugin name)`,
      );
    }
    const hasSearch = "search" in provider && typeof provider.search === "function";
    const hasEndpoint = "endpoint" in provider && typeof provider.endpoint === "function";
    if (!hasSearch && !hasEndpoint) {
      throw new Error(`plugin ${owner}: search provider ${JSON.stringify(provider.id)} needs search() or endpoint()+results()`);
    }
    const entry = { provider, owner };
    this.providers.push(entry);
    return () => {
      const index = this.providers.indexOf(entry);
      if (index >= 0) this.providers.splice(index, 1);
    };
  }

  /** Every provider's answer to `query`, best group first; failures are logged. */
  async query(raw: string, signal: AbortSignal): Promise<ResultGroup[]> {
    const query = raw.trim().slice(0, MAX_QUERY);
    if (query === "") return [];
    const runs = this.providers.map(async ({ provider }, order) => {
      if (query.length < (provider.minLength ?? 1)) return null;
      try {
        const results = await withTimeout(run(provider, query, signal), PROVIDER_TIMEOUT_MS);
        return { order, group: { provider: provider.id, label: provider.label, results: results.slice(0, MAX_PER_PROVIDER) } };
      } catch (error) {
        if (!signal.aborted) console.warn(`[tangram] search provider ${provider.id}:`, error);
        return null;
      }
    });
    const answered = (await Promise.all(runs)).filter((item) => item !== null && item.group.results.length > 0);
    const best = (group: ResultGroup): number => Math.max(...group.results.map((r) => r.score ?? 0.5));
    return answered
      .sort((a, b) => best(b!.group) - best(a!.group) || a!.order - b!.order)
      .map((item) => item!.group);
  }
}

async function run(provider: SearchProvider, query: string, signal: AbortSignal): Promise<SearchResult[]> {
  if ("search" in provider) return await provider.search(query, signal);
  const response = await fetch(provider.endpoint(query), { signal });
  if (!response.ok) throw new Error(`GET ${provider.endpoint(query)} answered HTTP ${response.status}`);
  return provider.results(await response.json(), query);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
