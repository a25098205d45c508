import { WEEKDAYS, type QuietHours } from '../routing/schema.js';
import type { RefFacts } from '../routing/match.js';

/**
 * Quiet-hours windows, computed with Intl in the route's time zone (no time zone library):
 * a window starts at `from` local time on each of `days` (every day when absent) and ends at
 * `to`, on the next day when `to` is not after `from` (19:00-08:00 crosses midnight). `days`
 * names the weekday a window starts on: `["fri"]` is Friday 19:00 to Saturday 08:00. Daylight
 * saving time is Intl's: a window over the switch is an hour shorter or longer in UTC, and a
 * wall time that does not exist that night (02:30 in spring) falls an hour later.
 */
export interface QuietWindow {
  start: Date;
  end: Date;
  /** `08:00 Europe/Berlin`: the end as people set it, for the delivery log and the digest. */
  endLabel: string;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** The wall clock in `timeZone` at `instant`, as if it were UTC (milliseconds). */
function wallClock(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
}

/** The instant at which the wall clock in `timeZone` shows `date` at `minutes` past midnight. */
function instantOf(date: LocalDate, minutes: number, timeZone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // The zone's offset at a first guess, then at the corrected instant (they differ near a DST switch).
  let instant = wall - (wallClock(wall, timeZone) - wall);
  instant = wall - (wallClock(instant, timeZone) - instant);
  return new Date(instant);
}

function addDays(date: LocalDate, days: number): LocalDate & { weekday: number } {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  // getUTCDay: 0 is Sunday; WEEKDAYS starts on Monday.
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(), weekday: (shifted.getUTCDay() + 6) % 7 };
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/** The window that starts on local date `date`, or undefined when `days` leaves that weekday out. */
function windowStartingOn(quiet: QuietHours, date: LocalDate): QuietWindow | undefined {
  const startDay = addDays(date, 0);
  if (quiet.days && !quiet.days.includes(WEEKDAYS[startDay.weekday]!)) return undefined;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return {
    start: instantOf(startDay, from, quiet.timezone),
    end: instantOf(to > from ? startDay : addDays(startDay, 1), to, quiet.timezone),
    endLabel: `${quiet.to} ${quiet.timezone}`,
  };
}

function localDate(instant: Date, timeZone: string): LocalDate {
  const wall = new Date(wallClock(instant.getTime(), timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** The quiet window `now` falls in, or undefined outside quiet hours. */
export function quietWindowAt(quiet: QuietHours, now: Date): QuietWindow | undefined {
  const today = localDate(now, quiet.timezone);
  // A window crossing midnight may have started yesterday.
  for (const offset of [-1, 0]) {
    const window = windowStartingOn(quiet, addDays(today, offset));
    if (window && window.start.getTime() <= now.getTime() && now.getTime() < window.end.getTime()) return window;
  }
  return undefined;
}

/** The windows that ended after `after` and at or before `upTo`, oldest first. */
export function windowsEndedBetween(quiet: QuietHours, after: Date, upTo: Date): QuietWindow[] {
  const first = localDate(after, quiet.timezone);
  const last = localDate(upTo, quiet.timezone);
  const windows: QuietWindow[] = [];
  for (let offset = -1; ; offset += 1) {
    const date = addDays(first, offset);
    const window = windowStartingOn(quiet, date);
    if (window && window.end.getTime() > after.getTime() && window.end.getTime() <= upTo.getTime()) windows.push(window);
    if (Date.UTC(date.year, date.month - 1, date.day) >= Date.UTC(last.year, last.month - 1, last.day)) return windows;
  }
}

/**
 * Whether a failure on this ref posts at once during quiet hours: a route's `breakThrough` is
 * `default` (the project's default branch), `protected` (protected branches and tags, the
 * default branch with them) or `none`. Any route sending to the destination can let it through.
 */
export function breaksThrough(routes: ReadonlyArray<{ options: { quietHours?: QuietHours | undefined } }>, ref: RefFacts): boolean {
  const onDefault = !ref.isTag && ref.defaultBranch != null && ref.ref === ref.defaultBranch;
  return routes.some((route) => {
    const rule = route.options.quietHours?.breakThrough ?? 'default';
    if (rule === 'none') return false;
    return onDefault || (rule === 'protected' && ref.isProtected === true);
  });
}
