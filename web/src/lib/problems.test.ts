import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { fieldErrors, problemMessage } from './problems';

describe('fieldErrors', () => {
  it('maps a 422 problem to messages by field, first one wins', () => {
    const err = new ApiError(422, {
      status: 422,
      title: 'Invalid field',
      errors: [
        { field: 'login', message: 'is taken' },
        { field: 'password', message: 'is too short' },
        { field: 'login', message: 'second' },
      ],
    });
    expect(fieldErrors(err)).toEqual({ login: 'is taken', password: 'is too short' });
    expect(fieldErrors(new Error('x'))).toEqual({});
  });
});

describe('problemMessage', () => {
  it('prefers the detail (a 403 says why)', () => {
    expect(problemMessage(new ApiError(403, { status: 403, title: 'Forbidden', detail: 'cannot grant audit.read: you do not hold it' }))).toBe(
      'cannot grant audit.read: you do not hold it',
    );
  });

  it('lists field errors not shown under an input, and nothing when all are', () => {
    const err = new ApiError(422, {
      status: 422,
      title: 'Invalid field',
      detail: 'login: is taken; x: bad',
      errors: [{ field: 'login', message: 'is taken' }, { field: 'x', message: 'bad' }],
    });
    expect(problemMessage(err, ['login'])).toBe('x: bad');
    expect(problemMessage(err, ['login', 'x'])).toBeNull();
    // No input shows any of them: the server's own sentence.
    expect(problemMessage(err)).toBe('login: is taken; x: bad');
  });

  it('falls back to the title, and to null for non-API errors', () => {
    expect(problemMessage(new ApiError(500, { status: 500, title: 'Internal error' }))).toBe('Internal error');
    expect(problemMessage(new TypeError('Failed to fetch'))).toBeNull();
  });
});
