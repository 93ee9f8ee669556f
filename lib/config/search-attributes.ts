/**
 * Custom search attributes the workflows set, so runs can be found in the Temporal UI ("FsfmStage" = "pretrain").
 * infra registers them on the dev server; a remote cluster needs them once:
 * `temporal operator search-attribute create --name FsfmStage --type Keyword` (and the others).
 */
export const SEARCH_ATTRIBUTES = {
  FsfmDataset: 'Keyword',
  FsfmStage: 'Keyword',
  FsfmModel: 'Keyword',
  FsfmStatus: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
