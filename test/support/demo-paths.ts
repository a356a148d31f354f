/** Where the tests keep generated demo datasets: the project's git-ignored .cache folder. */
import { join } from 'node:path';

export const DEMO_DATA_ROOT = join(import.meta.dirname, '..', '..', '.cache', 'demo-dataset');
