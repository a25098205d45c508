import { printable } from './printable.js';

/**
 * Recognising the output of a hook's custom webhook template (GitLab 16.10+). With a template
 * set, GitLab renders it against the event and sends the result, re-serialised as JSON, in place
 * of the event payload, with the usual headers (`X-Gitlab-Event`, `X-Gitlab-Token`, ...). The
 * bridge cannot act on that body, so the receiver records such a delivery `ignored` (answering
 * 2xx, so GitLab does not count failures and disable the hook) instead of queueing it into a
 * schema failure. `gitlab connect` clears the template; `gitlab status` reports it.
 *
 * A small, dependency-free module: the receiver's bundle includes it.
 */

/** The reason recorded for such a delivery starts with this. */
export const TEMPLATE_REASON_PREFIX = 'custom webhook template';

/**
 * The `object_kind`s GitLab sends under each `X-Gitlab-Event` (GitLab docs, "Webhook events").
 * Issue hooks carry work items too (tasks, epics...) with `object_kind: work_item`. Headers not
 * listed (System Hook, events GitLab adds later) are only required to name a kind at all.
 */
const OBJECT_KINDS_BY_EVENT: Readonly<Record<string, readonly string[]>> = {
  'Push Hook': ['push'],
  'Tag Push Hook': ['tag_push'],
  'Issue Hook': ['issue', 'work_item'],
  'Confidential Issue Hook': ['issue', 'work_item'],
  'Note Hook': ['note'],
  'Confidential Note Hook': ['note'],
  'Merge Request Hook': ['merge_request'],
  'Wiki Page Hook': ['wiki_page'],
  'Pipeline Hook': ['pipeline'],
  'Job Hook': ['build'],
  'Deployment Hook': ['deployment'],
  'Feature Flag Hook': ['feature_flag'],
  'Release Hook': ['release'],
  'Milestone Hook': ['milestone'],
  'Emoji Hook': ['emoji'],
  'Resource Access Token Hook': ['access_token'],
  'Resource Deploy Token Hook': ['deploy_token'],
  'Vulnerability Hook': ['vulnerability'],
};

/** Values quoted in a reason: enough to recognise them, too short to flood a record. */
const MAX_QUOTED = 40;

function quoted(value: string): string {
  return JSON.stringify(printable(value, MAX_QUOTED));
}

/**
 * Why a JSON object received under `X-Gitlab-Event: event` is a custom template's output rather
 * than GitLab's event payload, or null when it may be the payload. It is the template's output
 * when it names no kind at all (GitLab's payloads all carry `object_kind`, or `event_name` for
 * the member, project and subgroup hooks), or a kind GitLab never sends under that header.
 * A template that copies a fitting `object_kind` is not recognised here; `gitlab status` still
 * reports the template.
 */
export function templateOutputReason(event: string, payload: Record<string, unknown>): string | null {
  const objectKind = typeof payload.object_kind === 'string' && payload.object_kind !== '' ? payload.object_kind : null;
  const eventName = typeof payload.event_name === 'string' && payload.event_name !== '' ? payload.event_name : null;
  const because = (detail: string) => `${TEMPLATE_REASON_PREFIX}: the body is not GitLab's event payload (${detail})`;
  if (objectKind === null && eventName === null) return because('it has no object_kind or event_name');
  const expected = OBJECT_KINDS_BY_EVENT[event];
  if (expected && (objectKind === null || !expected.includes(objectKind))) {
    return because(
      objectKind === null
        ? `it has no object_kind, which GitLab sends with ${quoted(event)}`
        : `object_kind ${quoted(objectKind)} does not fit X-Gitlab-Event ${quoted(event)}`,
    );
  }
  return null;
}
