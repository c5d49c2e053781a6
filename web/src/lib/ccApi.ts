// The contact center's calls, tasks, queues, pipeline and board routes (/api/v1).
import { apiFetch } from './api';
import type {
  Board,
  CallPage,
  CallPopup,
  Comment,
  ContactCard,
  LostReason,
  NewPbx,
  NewTask,
  OperatorView,
  PbxIntegration,
  Queue,
  QueueInput,
  RequestChange,
  RequestTrail,
  RoutingRule,
  Task,
  TaskChange,
  TaskPage,
} from './cc';
import type { Items, PatientRequest } from './types';

const seg = encodeURIComponent;

export interface CallQuery {
  direction?: string;
  result?: string;
  contact_id?: string;
  cursor?: string | null;
  limit?: number;
  ids?: string[];
}

export interface TaskQuery {
  kind?: string;
  status?: string;
  queue?: string;
  assignee?: string;
  request_id?: string;
  overdue?: boolean;
  cursor?: string | null;
  limit?: number;
  ids?: string[];
}

/** A query string from the set values only. */
export function queryOf(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const ccApi = {
  calls: (q: CallQuery, signal?: AbortSignal) => apiFetch<CallPage>(`/api/v1/calls${queryOf(q)}`, { signal }),
  callPopup: (id: string, signal?: AbortSignal) => apiFetch<CallPopup>(`/api/v1/calls/${seg(id)}/popup`, { signal }),
  dial: (contactId: string) => apiFetch<{ placed: boolean }>('/api/v1/calls/dial', { method: 'POST', body: { contact_id: contactId } }),

  tasks: (q: TaskQuery, signal?: AbortSignal) => apiFetch<TaskPage>(`/api/v1/tasks${queryOf(q)}`, { signal }),
  createTask: (t: NewTask) => apiFetch<Task>('/api/v1/tasks', { method: 'POST', body: t }),
  updateTask: (id: string, c: TaskChange) => apiFetch<Task>(`/api/v1/tasks/${seg(id)}`, { method: 'PATCH', body: c }),

  operators: (signal?: AbortSignal) => apiFetch<Items<OperatorView>>('/api/v1/operators', { signal }),
  setPresence: (presence: 'online' | 'away') => apiFetch<{ presence: string }>('/api/v1/presence', { method: 'PUT', body: { presence } }),
  setExtension: (userId: string, extension: string) =>
    apiFetch<{ extension: string }>(`/api/v1/operators/${seg(userId)}/extension`, { method: 'PUT', body: { extension } }),

  queues: (signal?: AbortSignal) => apiFetch<Items<Queue>>('/api/v1/queues', { signal }),
  createQueue: (q: QueueInput) => apiFetch<Queue>('/api/v1/queues', { method: 'POST', body: q }),
  saveQueue: (id: string, q: QueueInput) => apiFetch<Queue>(`/api/v1/queues/${seg(id)}`, { method: 'PUT', body: q }),
  routingRules: (signal?: AbortSignal) => apiFetch<{ rules: RoutingRule[] }>('/api/v1/routing-rules', { signal }),
  saveRoutingRules: (rules: RoutingRule[]) => apiFetch<{ rules: RoutingRule[] }>('/api/v1/routing-rules', { method: 'PUT', body: { rules } }),
  lostReasons: (signal?: AbortSignal) => apiFetch<{ reasons: LostReason[] }>('/api/v1/lost-reasons', { signal }),
  saveLostReasons: (reasons: LostReason[]) =>
    apiFetch<{ reasons: LostReason[] }>('/api/v1/lost-reasons', { method: 'PUT', body: { reasons } }),

  createRequest: (body: { call_id?: string; contact_id?: string; channel?: string; message?: string }) =>
    apiFetch<PatientRequest>('/api/v1/requests', { method: 'POST', body }),
  updateRequest: (id: string, change: RequestChange) =>
    apiFetch<PatientRequest>(`/api/v1/requests/${seg(id)}`, { method: 'PATCH', body: change }),
  trail: (id: string, signal?: AbortSignal) => apiFetch<RequestTrail>(`/api/v1/requests/${seg(id)}/trail`, { signal }),
  comment: (id: string, body: string) => apiFetch<Comment>(`/api/v1/requests/${seg(id)}/comments`, { method: 'POST', body: { body } }),
  mergeRequest: (id: string, into: string) =>
    apiFetch<{ merged: string; into: string }>(`/api/v1/requests/${seg(id)}/merge`, { method: 'POST', body: { into } }),

  contactCard: (id: string, signal?: AbortSignal) => apiFetch<ContactCard>(`/api/v1/contacts/${seg(id)}/card`, { signal }),
  mergeContact: (id: string, into: string) =>
    apiFetch<{ merged: string; into: string }>(`/api/v1/contacts/${seg(id)}/merge`, { method: 'POST', body: { into } }),

  board: (signal?: AbortSignal) => apiFetch<Board>('/api/v1/board', { signal }),

  pbxList: (signal?: AbortSignal) => apiFetch<Items<PbxIntegration>>('/api/v1/telephony/integrations', { signal }),
  createPbx: (p: NewPbx) => apiFetch<PbxIntegration>('/api/v1/telephony/integrations', { method: 'POST', body: p }),
  updatePbx: (id: string, patch: { name?: string; queue_id?: string; active?: boolean; secret?: string }) =>
    apiFetch<PbxIntegration>(`/api/v1/telephony/integrations/${seg(id)}`, { method: 'PATCH', body: patch }),
};

export type CcApi = typeof ccApi;
