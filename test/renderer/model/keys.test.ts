import { describe, expect, it } from 'vitest';
import { keyAction } from '../../../renderer/src/model/keys';

describe('keyAction', () => {
  it('maps the investigator keys', () => {
    expect(keyAction({ key: '/', editing: false })).toBe('focus-search');
    expect(keyAction({ key: 'j', editing: false })).toBe('next');
    expect(keyAction({ key: 'k', editing: false })).toBe('prev');
    expect(keyAction({ key: 'Enter', editing: false })).toBe('open');
    expect(keyAction({ key: 'e', editing: false })).toBe('export');
  });

  it('leaves typing alone, except Escape which leaves the field', () => {
    for (const key of ['/', 'j', 'k', 'e', 'Enter']) expect(keyAction({ key, editing: true })).toBeNull();
    expect(keyAction({ key: 'Escape', editing: true })).toBe('blur');
  });

  it('leaves modified keys and Enter on buttons to the browser', () => {
    expect(keyAction({ key: 'e', editing: false, ctrlKey: true })).toBeNull();
    expect(keyAction({ key: 'Enter', editing: false, onControl: true })).toBeNull();
  });
});
