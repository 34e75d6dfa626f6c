// The shared guards the message channels build on: bounded arrays and `{ index, [key]: text }` items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isBoundedArrayOf,
  isIndexedText,
  isNonNegativeInteger,
  isString,
} from '../../../src/protocol/guards';

test('isBoundedArrayOf takes arrays up to the bound whose every item passes', () => {
  assert.equal(isBoundedArrayOf([], 2, isNonNegativeInteger), true);
  assert.equal(isBoundedArrayOf([0, 1], 2, isNonNegativeInteger), true);
  assert.equal(isBoundedArrayOf([0, 1, 2], 2, isNonNegativeInteger), false);
  assert.equal(isBoundedArrayOf([0, -1], 2, isNonNegativeInteger), false);
  assert.equal(isBoundedArrayOf({ length: 1, 0: 0 }, 2, isNonNegativeInteger), false);
  assert.equal(isBoundedArrayOf(null, 2, isNonNegativeInteger), false);
});

test('isBoundedArrayOf refuses an over-long array without looking at its items', () => {
  let looked = 0;
  const counting = (v: unknown): v is number => {
    looked++;
    return isNonNegativeInteger(v);
  };
  assert.equal(isBoundedArrayOf(new Array(10).fill(0), 3, counting), false);
  assert.equal(looked, 0);
});

test('isIndexedText checks the index and the named text field', () => {
  const short = (v: unknown): v is string => isString(v) && v.length <= 4;
  const isThumb = isIndexedText('thumb', short);
  assert.equal(isThumb({ index: 0, thumb: '' }), true);
  assert.equal(isThumb({ index: 3, thumb: 'abcd' }), true);
  assert.equal(isThumb({ index: 3, thumb: 'abcde' }), false);
  assert.equal(isThumb({ index: -1, thumb: 'a' }), false);
  assert.equal(isThumb({ index: 1, uri: 'a' }), false);
  assert.equal(isThumb([1, 'a']), false);
});
