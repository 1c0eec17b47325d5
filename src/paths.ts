/**
 * Where the package's own files are (prisma/migrations, web/, schema/), found from this module's
 * location. It must hold both for the sources run by tsx (src/…) and for the production build
 * (dist/main.js, `npm run build`), whose modules sit at another depth: walk up to package.json.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function packageRoot(from: string): string {
  for (let dir = dirname(fileURLToPath(from)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(from)}`);
  }
}

export const PACKAGE_ROOT = packageRoot(import.meta.url);

/** A path inside the package, e.g. `fromRoot("prisma/migrations")`. */
export const fromRoot = (path: string) => join(PACKAGE_ROOT, path);
