/** Where the console shows things. */
import fs from 'node:fs';
import path from 'node:path';

let detailsPageExists: boolean | undefined;

/** `/sync-tasks/<id>` once a details page exists in this build, else the region's task list. */
export function taskDetailsPath(taskId: string, region: string): string {
  detailsPageExists ??= fs.existsSync(path.join(/*turbopackIgnore: true*/ process.cwd(), 'app', '(console)', 'sync-tasks', '[id]', 'page.tsx'));
  return detailsPageExists ? `/sync-tasks/${encodeURIComponent(taskId)}?region=${encodeURIComponent(region)}` : `/sync-tasks?region=${encodeURIComponent(region)}`;
}
