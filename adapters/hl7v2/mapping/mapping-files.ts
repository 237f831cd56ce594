/** Location of the mapping data (mappings/ at the repository root). */
import { fileURLToPath } from 'node:url';

export const MAPPINGS_DIR = fileURLToPath(new URL('../../../mappings/', import.meta.url));
