// Vendor entry: what `import ... from "@tangram/api"` gives a plugin at run time.
export { TANGRAM_API, definePlugin, useTangram } from "../api/runtime";
