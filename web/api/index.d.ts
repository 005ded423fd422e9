/**
 * The tangram frontend plugin API.
 *
 * A plugin frontend is an ES module whose default export (or named export `install`)
 * receives a `TangramApi`. The runtime behind these types is served once by the tangram
 * shell (import map entry `@tangram/api`), so plugins must mark `@tangram/api`, `vue`,
 * `maplibre-gl` and `phoenix` as external; `@tangram/vite-plugin` does that for you.
 */
import type { App, Component, ComputedRef, InjectionKey, Ref, ShallowRef } from "vue";
import type {
  AddLayerObject,
  GeoJSONSource,
  LngLatBounds,
  Map as MaplibreMap,
  SourceSpecification,
} from "maplibre-gl";

/** Where a widget is rendered. */
export type WidgetSlot = "TopBar" | "SideBar" | "MapOverlay";

/** A widget as the shell keeps it (read-only view for plugins). */
export interface WidgetEntry {
  /** Unique across all plugins, e.g. `"system-info"`. */
  readonly id: string;
  readonly slot: WidgetSlot;
  /** Name of the plugin that registered it. */
  readonly plugin: string;
  readonly component: Component;
}

export interface UiApi {
  /**
   * Render `component` in `slot`. Widgets appear in plugin order (`[core] plugins`),
   * then in registration order. Ids must be unique; registering a taken id throws.
   * Returns a function that removes the widget again.
   */
  registerWidget(id: string, slot: WidgetSlot, component: Component): () => void;
}

/** Called with the payload of each `event` broadcast on `topic`. */
export type MessageHandler<T = unknown> = (payload: T) => void;

export interface RealtimeApi {
  /**
   * The id the channel gave this browser with its `system` token; the same id is used
   * for every topic's token (e.g. `streaming-<connectionId>`). `null` when the
   * channel is disabled.
   */
  readonly connectionId: string | null;
  /** True while the WebSocket is open. */
  readonly connected: Readonly<Ref<boolean>>;
  /**
   * Subscribe to `"<topic>:<event>"` (the event is after the LAST colon, so the topic may
   * contain colons). The topic is joined once for the whole page, with its own token.
   * Returns an unsubscribe function.
   */
  subscribe<T = unknown>(topicEvent: string, handler: MessageHandler<T>): () => void;
  /**
   * Push `payload` as `<event>` on `<topic>` (joining it first if needed); the gateway
   * publishes it to Redis `from:<topic>:<event>`. Resolves when the gateway acknowledges.
   */
  publish(topicEvent: string, payload: unknown): Promise<void>;
}

/** Current map view, kept up to date on every move. */
export interface MapBounds {
  north: number;
  south: number;
  east: number;
  west: number;
}

export interface MapApi {
  /** The MapLibre map (available once the shell is mounted). */
  readonly map: MaplibreMap;
  /** Reactive view bounds, updated on `moveend`. */
  readonly bounds: Readonly<Ref<MapBounds>>;
  /** Resolves once the current style has loaded (immediately if it has). */
  whenReady(): Promise<MaplibreMap>;
  /**
   * Add a source that survives base-map style switches and is removed when the plugin
   * is torn down.
   */
  addSource(id: string, source: SourceSpecification): void;
  /** Add a layer (kept across style switches, removed on tear-down). */
  addLayer(layer: AddLayerObject, beforeId?: string): void;
  /** Convenience: `setData` on a GeoJSON source added with `addSource`. */
  setData(sourceId: string, data: Parameters<GeoJSONSource["setData"]>[0]): void;
  /** The GeoJSON source `id`, if present. */
  getGeoJSONSource(id: string): GeoJSONSource | undefined;
  removeLayer(id: string): void;
  /** Removes the source and any of this plugin's layers using it. */
  removeSource(id: string): void;
  /** The raw bounds as MapLibre gives them. */
  getBounds(): LngLatBounds;
}

/** Anything shown on the map that can be selected (an aircraft, a vessel, ...). */
export interface Entity<S = Record<string, unknown>> {
  id: string;
  /** e.g. `"jet1090_aircraft"`; used in `system:bound-box` `selectedEntities`. */
  typeName: string;
  state: S;
}

export interface StateApi {
  /** All entities, by type then id. Reactive. */
  readonly entities: Readonly<Ref<ReadonlyMap<string, ReadonlyMap<string, Entity>>>>;
  /** The entities currently selected (usually zero or one). Reactive. */
  readonly selected: Readonly<Ref<readonly Entity[]>>;
  /** Convenience: the first selected entity or null. */
  readonly selectedEntity: ComputedRef<Entity | null>;
  /** Replace every entity of `typeName` (e.g. on each streaming update). */
  replaceEntities(typeName: string, entities: Iterable<Entity>): void;
  /** Entities of one type, as an array. */
  getEntities<S = Record<string, unknown>>(typeName: string): Entity<S>[];
  /** Select one entity (or none with `null`); `additive` keeps the current selection. */
  select(entity: Entity | null, additive?: boolean): void;
  isSelected(id: string, typeName: string): boolean;
  /**
   * Keep the selected entity in view (its state must have numeric `latitude` and
   * `longitude`). Turned off when the selection is cleared or changes.
   */
  readonly following: Readonly<Ref<boolean>>;
  setFollowing(on: boolean): void;
}

/** One line of the command palette. */
export interface SearchResult {
  /** Unique within its provider (used as the list key). */
  id: string;
  title: string;
  subtitle?: string;
  /**
   * 0..1, higher is better (1: exact match). Groups are ordered by their best result,
   * so an exact airport code beats a fuzzy callsign. Default 0.5.
   */
  score?: number;
  /** What Enter or a click does: select something, move the map, travel in time... */
  pick(): void | Promise<void>;
}

/** Results computed in the browser (or fetched by the provider itself). */
export interface FunctionSearchProvider {
  /** Unique across plugins, e.g. `"jet1090-live"`. */
  id: string;
  /** Group heading in the palette, e.g. `"Aircraft"`. */
  label: string;
  /** Queries shorter than this (after trimming) are not sent. Default 1. */
  minLength?: number;
  /** `signal` is aborted when the query changes: pass it on to `fetch`. */
  search(query: string, signal: AbortSignal): SearchResult[] | Promise<SearchResult[]>;
}

/** Results from an HTTP endpoint: the shell fetches `endpoint(query)` and maps the JSON. */
export interface EndpointSearchProvider<T = unknown> {
  id: string;
  label: string;
  minLength?: number;
  /** The URL to GET for `query`, e.g. `` q => `/search/airports?q=${encodeURIComponent(q)}` ``. */
  endpoint(query: string): string;
  /** Turn the parsed JSON answer into results. */
  results(json: T, query: string): SearchResult[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SearchProvider = FunctionSearchProvider | EndpointSearchProvider<any>;

export interface SearchApi {
  /**
   * Add a provider to the command palette (Ctrl+K, or `/`). Providers run in parallel
   * for every query; a failing or slow one never blocks the others. Returns a function
   * that removes it again (done for you on tear-down).
   */
  registerProvider(provider: SearchProvider): () => void;
  /** Open the palette, optionally with a query typed in. */
  open(query?: string): void;
}

/** The stored period a timeline can travel over (UNIX seconds). */
export interface TimeRange {
  start: number;
  stop: number;
}

/**
 * The page's clock: live, or an instant in the past that may be playing back. Plugins
 * showing data over time watch `at` and fetch what was true then.
 */
export interface TimeApi {
  /** `null` when live; otherwise the instant shown, in UNIX seconds. */
  readonly at: Readonly<Ref<number | null>>;
  /** True while playing back (only in the past). */
  readonly playing: Readonly<Ref<boolean>>;
  /** Playback speed: 1, 10 or 60 (seconds of the past per second). */
  readonly speed: Readonly<Ref<number>>;
  /** What can be travelled over; `null` until a plugin declares it. */
  readonly range: Readonly<Ref<TimeRange | null>>;
  /** Show the instant `t` (UNIX seconds). `t` at or after now means live. */
  seek(t: number): void;
  /** Back to the live stream (stops playback). */
  live(): void;
  play(): void;
  pause(): void;
  setSpeed(speed: 1 | 10 | 60): void;
  /** Declare the stored range (the jet1090 plugin does, from its history). */
  setRange(range: TimeRange | null): void;
}

export type ThemeName = "light" | "dark";
export type ThemePreference = "auto" | ThemeName;

/**
 * Light or dark. The shell sets `data-theme` on `<html>` and the CSS variables
 * (`--tg-bg`, `--tg-fg`, `--tg-muted`, `--tg-accent`, `--tg-border`, `--tg-surface`...);
 * widgets styled with them follow. Map layers can watch `current`.
 */
export interface ThemeApi {
  /** The theme in force. */
  readonly current: Readonly<Ref<ThemeName>>;
  /** What the user chose (or `[core] theme`): `"auto"` follows `prefers-color-scheme`. */
  readonly preference: Readonly<Ref<ThemePreference>>;
  /** Change and remember (localStorage) the choice. */
  set(preference: ThemePreference): void;
}

export interface TangramApi {
  /** Name of the plugin this API instance belongs to. */
  readonly pluginName: string;
  /** The plugin's raw `[plugins.<name>]` table from `tangram.toml`. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Version of the tangram core serving the page. */
  readonly version: string;
  readonly ui: UiApi;
  readonly realtime: RealtimeApi;
  readonly map: MapApi;
  readonly state: StateApi;
  readonly search: SearchApi;
  readonly time: TimeApi;
  readonly theme: ThemeApi;
  /** The shell's Vue application (to register global components or directives). */
  readonly app: App;
  /** Run `fn` when the plugin is torn down (after its widgets, layers and subscriptions). */
  onTeardown(fn: () => void): void;
}

/** What a plugin module exports (default or `install`). */
export type PluginInstall = (api: TangramApi) => void | (() => void) | Promise<void | (() => void)>;

/** Provided to every widget; `useTangram()` reads it. */
export declare const TANGRAM_API: InjectionKey<TangramApi>;

/** Inside a widget's `setup()`: the API of the plugin that registered the widget. */
export declare function useTangram(): TangramApi;

/** Identity helper giving type inference to a plugin's install function. */
export declare function definePlugin(install: PluginInstall): PluginInstall;

export * from "./entities";
