/** Every command id the extension registers. package.json's contributes.commands lists the same ids (a unit test checks it). */
export const COMMAND_IDS = [
  'kindred.search',
  'kindred.findSimilar',
  'kindred.searchInPanel',
  'kindred.reindex',
  'kindred.pauseIndexing',
  'kindred.resumeIndexing',
  'kindred.showStatus',
  'kindred.selectModel',
  'kindred.showClusters',
  'kindred.evaluateWorkspace',
  'kindred.adapt',
  'kindred.turnOffAdapter',
  'kindred.turnOnAdapter',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
