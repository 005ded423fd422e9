// Packs the frontend SDK (@tangram/api and @tangram/vite-plugin) as npm tarballs into
// src/tangram/web/sdk/, which the Python wheel ships. Both packages are private
// workspaces of this repository; tarballs let a plugin developed in another repository
// install them with plain `npm install` (`tangram frontend-sdk` prints their paths), and
// unlike a folder they are copied into node_modules, so their own dependencies resolve
// from the plugin's node_modules rather than from inside site-packages.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outDir = join(root, "src/tangram/web/sdk");
const workspaces = ["web/api", "web/plugin-build"];

// A dependency on a sibling workspace would install from the registry, where these
// packages do not exist: refuse to ship such a tarball.
for (const workspace of workspaces) {
  const manifest = JSON.parse(readFileSync(join(root, workspace, "package.json"), "utf8"));
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (name.startsWith("@tangram/") || /^(file|link|workspace):/.test(spec)) {
        throw new Error(
          `${workspace}/package.json: ${field}.${name} = ${JSON.stringify(spec)} only resolves inside this repository`,
        );
      }
    }
  }
}

// Emptied first, so that a version bump never leaves the previous tarballs behind.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const args = ["pack", "--json", "--pack-destination", outDir];
for (const workspace of workspaces) args.push("--workspace", workspace);
const packed = JSON.parse(
  execFileSync("npm", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }),
);

// The index tangram.sdk reads: which tarball holds which package.
const index = {
  packages: packed.map((pkg) => ({ name: pkg.name, version: pkg.version, file: pkg.filename })),
};
writeFileSync(join(outDir, "sdk.json"), `${JSON.stringify(index, null, 2)}\n`);
console.log(`frontend SDK: ${index.packages.map((pkg) => pkg.file).join(", ")} in ${outDir}`);
