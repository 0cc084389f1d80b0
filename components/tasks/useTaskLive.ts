'use client';
/**
 * A task's live view in the React Query cache, fed by the server-sent events of
 * `/api/tasks/[id]/events` (EventSource reconnects by itself; each connection
 * starts with a full snapshot). Plain JSON refetches cover a stream that cannot open.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { TaskLiveView, TaskStreamEvent } from '@/lib/tasks/details';
import { applyTaskEvent, STREAM_EVENTS } from './live-view';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'gone';

async function fetchView(taskId: string): Promise<TaskLiveView> {
  const res = await fetch(`/api/tasks/${encodeURIComponent(taskId)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(res.status === 404 ? 'This task no longer exists.' : `HTTP ${res.status}`);
  return (await res.json()) as TaskLiveView;
}

export function useTaskLive(taskId: string, initial: TaskLiveView) {
  const queryClient = useQueryClient();
  const [stream, setStream] = useState<StreamStatus>('connecting');
  const queryKey = ['task', taskId] as const;
  const query = useQuery({
    queryKey,
    queryFn: () => fetchView(taskId),
    initialData: initial,
    staleTime: Infinity,
    // The stream keeps the cache current; poll only while it is down.
    refetchInterval: stream === 'live' ? false : 3000,
  });

  useEffect(() => {
    const source = new EventSource(`/api/tasks/${encodeURIComponent(taskId)}/events`);
    const apply = (event: TaskStreamEvent) => {
      queryClient.setQueryData<TaskLiveView>(['task', taskId], (view) => applyTaskEvent(view, event));
    };
    for (const type of STREAM_EVENTS) {
      source.addEventListener(type, (e: MessageEvent<string>) => {
        setStream('live');
        apply({ type, data: JSON.parse(e.data) } as TaskStreamEvent);
      });
    }
    source.onopen = () => setStream('live');
    source.onerror = () => setStream(source.readyState === EventSource.CLOSED ? 'gone' : 'reconnecting');
    return () => source.close();
  }, [taskId, queryClient]);

  return { view: query.data, stream };
}
