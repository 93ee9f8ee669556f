/**
 * Layer-wise learning-rate decay and weight-decay groups for finetuning a ViT, as MAE's util/lr_decay.py
 * (param_groups_lrd / get_layer_id_for_vit), which the reference reuses. Pure functions over parameter names.
 *
 * Layer ids, with `last` = depth + 1:
 *   cls_token, pos_embed, patch_embed.*   0
 *   blocks.i.*                            i + 1
 *   anything else (fc_norm, head, the FAS embedder/classifier, a final norm)   last
 * lr scale = layerDecay^(last − layer id), so the head trains at the full lr and the patch embedding at
 * layerDecay^(depth+1) of it.
 * No weight decay on 1-D parameters (biases, LayerNorms) and on pos_embed and cls_token (timm's
 * VisionTransformer.no_weight_decay()); everything else gets `weightDecay`.
 */
import { InvalidConfig } from '../errors.js';

/** Parameters that never decay by name, whatever their shape (timm: pos_embed, cls_token, dist_token). */
export const NO_WEIGHT_DECAY_NAMES: readonly string[] = ['pos_embed', 'cls_token', 'dist_token'];

export interface ParamShape {
  name: string;
  /** Our shape; only its rank matters (1-D parameters do not decay). */
  shape: readonly number[];
}

export interface LayerDecayGroup {
  /** `layer_<id>_decay` or `layer_<id>_no_decay`, as MAE names them. */
  groupName: string;
  layerId: number;
  /** Multiplies the scheduled lr. */
  lrScale: number;
  weightDecay: number;
  paramNames: string[];
}

/** 0 for the embedding, i + 1 for block i, depth + 1 for the rest. */
export function layerIdForParam(name: string, depth: number): number {
  if (name === 'cls_token' || name === 'pos_embed' || name === 'dist_token' || name.startsWith('patch_embed')) return 0;
  const m = /^blocks\.(\d+)\./.exec(name);
  if (m) {
    const i = Number(m[1]);
    if (i >= depth) throw new InvalidConfig(`parameter ${name} is in block ${i}, but the model has ${depth} blocks`);
    return i + 1;
  }
  return depth + 1;
}

/** layerDecay^(depth + 1 − layerId). */
export function layerLrScale(name: string, depth: number, layerDecay: number): number {
  if (!(layerDecay > 0 && layerDecay <= 1)) throw new InvalidConfig(`layer decay must be in (0, 1], got ${layerDecay}`);
  return Math.pow(layerDecay, depth + 1 - layerIdForParam(name, depth));
}

/** True when AdamW's weight decay applies to the parameter. */
export function decaysWeight(param: ParamShape): boolean {
  return param.shape.length > 1 && !NO_WEIGHT_DECAY_NAMES.includes(param.name);
}

/**
 * MAE's param_groups_lrd: one group per (layer id, decay or not), in first-seen order of `params`.
 * Each parameter lands in exactly one group.
 */
export function layerDecayGroups(params: readonly ParamShape[], options: { depth: number; layerDecay: number; weightDecay: number }): LayerDecayGroup[] {
  if (!(options.layerDecay > 0 && options.layerDecay <= 1)) throw new InvalidConfig(`layer decay must be in (0, 1], got ${options.layerDecay}`);
  const groups = new Map<string, LayerDecayGroup>();
  for (const p of params) {
    const layerId = layerIdForParam(p.name, options.depth);
    const decay = decaysWeight(p);
    const groupName = `layer_${layerId}_${decay ? 'decay' : 'no_decay'}`;
    let g = groups.get(groupName);
    if (!g) {
      g = {
        groupName,
        layerId,
        lrScale: Math.pow(options.layerDecay, options.depth + 1 - layerId),
        weightDecay: decay ? options.weightDecay : 0,
        paramNames: [],
      };
      groups.set(groupName, g);
    }
    g.paramNames.push(p.name);
  }
  return [...groups.values()];
}

/** Per-parameter view of layerDecayGroups: name -> { lrScale, weightDecay }. */
export function layerDecayByParam(params: readonly ParamShape[], options: { depth: number; layerDecay: number; weightDecay: number }): Map<string, { lrScale: number; weightDecay: number }> {
  const out = new Map<string, { lrScale: number; weightDecay: number }>();
  for (const g of layerDecayGroups(params, options)) {
    for (const name of g.paramNames) out.set(name, { lrScale: g.lrScale, weightDecay: g.weightDecay });
  }
  return out;
}
