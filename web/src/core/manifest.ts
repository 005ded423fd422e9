/** What `GET /manifest.json` tells the shell: channel location, map view, plugins. */

export interface PluginManifestEntry {
  name: string;
  /** Base URL of the plugin's frontend folder, e.g. `/plugins/tangram_system/`. */
  url: string;
  main?: string;
  style?: string | null;
  config?: Record<string, unknown>;
  /** Set by the core when `plugin.json` is missing or invalid. */
  error?: string;
}

export interface Manifest {
  tangram: { version: string };
  /** `[core] theme`: "auto", "light" or "dark". */
  theme: string;
  /** `token_url` (relative to the page): where to mint join tokens instead of the
   * channel's own `/token`, set when access control or `token_api_key` is on. */
  channel: { url: string; token_url?: string } | null;
  /** Set when `[server] access_key` protects this tangram: the logout form's target. */
  access: { logout: string } | null;
  map: { style: string | null; center_lat: number; center_lon: number; zoom: number };
  plugins: PluginManifestEntry[];
}

const DEFAULT_MAP: Manifest["map"] = { style: null, center_lat: 48.85, center_lon: 2.35, zoom: 6 };

export async function fetchManifest(url = "manifest.json"): Promise<Manifest> {
  const response = await fetch(url, { cache: "no-store" });
  if (response.status === 401) {
    // The session ended (expired, or logged out in another tab): the server answers the
    // page itself with its login form.
    window.location.reload();
  }
  if (!response.ok) {
    throw new Error(`GET ${url} answered HTTP ${response.status}; is tangram serve running?`);
  }
  const raw = (await response.json()) as Partial<Manifest>;
  // Be lenient with older cores: fill in what is missing rather than refusing to start.
  return {
    tangram: raw.tangram ?? { version: "unknown" },
    theme: typeof raw.theme === "string" ? raw.theme : "auto",
    channel: raw.channel ?? null,
    access: raw.access ?? null,
    map: { ...DEFAULT_MAP, ...(raw.map ?? {}) },
    plugins: Array.isArray(raw.plugins) ? raw.plugins : [],
  };
}
