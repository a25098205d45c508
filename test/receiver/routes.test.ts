import { describe, expect, it } from 'vitest';
import { routeRequest } from '../../lib/receiver/routes.js';

describe('routeRequest: the HTTP API routes, for endpoints that pass every path', () => {
  it.each([
    ['POST', '/webhooks/gitlab', { route: 'webhook' }],
    ['post', '/webhooks/gitlab', { route: 'webhook' }],
    ['POST', '/slack/interactions', { route: 'slackInteractions' }],
    ['GET', '/webhooks/gitlab', { statusCode: 405, body: { error: 'use POST' } }],
    ['HEAD', '/slack/interactions', { statusCode: 405, body: { error: 'use POST' } }],
    ['POST', '/webhooks/gitlab/', { statusCode: 404, body: { error: 'not found; GitLab webhooks go to POST /webhooks/gitlab' } }],
    ['GET', '/', { statusCode: 404, body: { error: 'not found; GitLab webhooks go to POST /webhooks/gitlab' } }],
    ['POST', '/__proto__', { statusCode: 404, body: { error: 'not found; GitLab webhooks go to POST /webhooks/gitlab' } }],
  ])('%s %s', (method, path, expected) => {
    expect(routeRequest(method, path)).toEqual(expected);
  });
});
