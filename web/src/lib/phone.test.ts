import { describe, expect, it } from 'vitest';
import { formatPhone } from './phone';

describe('formatPhone', () => {
  it('groups Russian numbers as people read them', () => {
    expect(formatPhone('+73432223344')).toBe('+7 343 222-33-44');
    expect(formatPhone('+79123456701')).toBe('+7 912 345-67-01');
  });
  it('leaves masked, foreign and empty values alone', () => {
    expect(formatPhone('+7 343 ***-**-44')).toBe('+7 343 ***-**-44');
    expect(formatPhone('+442079460958')).toBe('+442079460958');
    expect(formatPhone('')).toBe('');
  });
});
