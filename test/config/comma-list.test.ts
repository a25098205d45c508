import { describe, expect, it } from 'vitest';
import { splitCommaList } from '../../lib/config/comma-list.js';

describe('splitCommaList', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['one', ['one']],
    [' old , new ', ['old', 'new']],
    [',,a,, b ,', ['a', 'b']],
    ['  ,  ', []],
  ])('%j -> %j', (value, items) => {
    expect(splitCommaList(value)).toEqual(items);
  });
});
