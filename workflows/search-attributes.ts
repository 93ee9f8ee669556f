import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeName } from '../lib/config/search-attributes';

const key = (name: SearchAttributeName) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD);

export const FsfmDataset = key('FsfmDataset');
export const FsfmStage = key('FsfmStage');
export const FsfmModel = key('FsfmModel');
export const FsfmStatus = key('FsfmStatus');
