import type { MergeRequestEvent, PipelineEvent } from '../../gitlab/schemas.js';
import { MAX_MENTIONED_REVIEWERS, usableEmail, type ChatPerson } from './resolver.js';

/**
 * The commit author of a pipeline. The payload names them only by `commit.author` {name, email};
 * they are taken to be the GitLab user who ran the pipeline (`user`, with username and id) when
 * the emails match or, GitLab often redacting `user.email`, the names do. Otherwise only the
 * name and email are known (the people map's `email`, or Slack's lookup by email, may still
 * find them).
 */
export function pipelineAuthor(event: PipelineEvent): ChatPerson | undefined {
  const author = event.commit?.author;
  if (!author?.name && !author?.email) return undefined;
  const user = event.user ?? undefined;
  const authorEmail = usableEmail(author.email);
  const userEmail = usableEmail(user?.email);
  const sameEmail = authorEmail !== undefined && userEmail !== undefined && authorEmail.toLowerCase() === userEmail.toLowerCase();
  const sameName = author.name !== undefined && user?.name !== undefined && author.name.trim() === user.name.trim();
  const isUser = user !== undefined && (sameEmail || sameName);
  const person: ChatPerson = { role: 'commit author' };
  if (author.name) person.name = author.name;
  if (authorEmail) person.email = authorEmail;
  if (isUser && user.username) person.username = user.username;
  if (isUser && user.id !== undefined) person.userId = user.id;
  return person;
}

/** A merge request's reviewers (GitLab sends id, username, name), at most MAX_MENTIONED_REVIEWERS. */
export function mergeRequestReviewers(event: MergeRequestEvent): ChatPerson[] {
  return (event.reviewers ?? []).slice(0, MAX_MENTIONED_REVIEWERS).map((reviewer) => {
    const person: ChatPerson = { role: 'reviewer' };
    if (reviewer.name) person.name = reviewer.name;
    if (reviewer.username) person.username = reviewer.username;
    if (reviewer.id !== undefined) person.userId = reviewer.id;
    const email = usableEmail(reviewer.email);
    if (email) person.email = email;
    return person;
  });
}
