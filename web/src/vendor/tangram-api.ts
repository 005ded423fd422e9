// Vendor entry: what `import ... from "@tangram/api"` gives a plugin at run time.
export { TANGRAM_API, definePlugin, useTangram } from "../api/runtime";
// Shared building blocks of entity plugins (aircraft, vessels...): docs/frontend.md.
export { installEntityLayer } from "../api/entityLayer";
export { IconLayer } from "../api/iconLayer";
export { iconMask, MASK_SIZE } from "../api/iconMask";
export { formatNumber, selectedState } from "../api/entityState";
export { default as EntityCount } from "../api/EntityCount.vue";
export { default as EntityDetails } from "../api/EntityDetails.vue";
// WebGL helpers for plugins that draw their own custom layers (tangram_explore).
export { createProgram } from "../api/gl";
