/** Where the console shows things. */

/** A task's details page, in its region. */
export function taskDetailsPath(taskId: string, region: string): string {
  return `/sync-tasks/${encodeURIComponent(taskId)}?region=${encodeURIComponent(region)}`;
}
