/** LaPa label ids of region maps (fsfm-method.md §1): the one definition the face and masking code share. */
export const LAPA = {
  background: 0,
  skin: 1,
  rightBrow: 2,
  leftBrow: 3,
  rightEye: 4,
  leftEye: 5,
  nose: 6,
  upperLip: 7,
  innerMouth: 8,
  lowerLip: 9,
  hair: 10,
} as const;
export const MAX_LAPA_ID = 10;
