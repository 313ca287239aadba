/**
 * @file The primitive ops the autograd tape knows, with the parameters each one records. Every
 * primitive must have a backward rule in the typed table of `ops/rules.ts`; adding a name here
 * without a rule there is a compile error.
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow';
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'relu' | 'tanh' | 'sigmoid';
export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export interface PrimParams {
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  pow: Record<string, never>;
  neg: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sqrt: Record<string, never>;
  rsqrt: Record<string, never>;
  abs: Record<string, never>;
  relu: Record<string, never>;
  tanh: Record<string, never>;
  sigmoid: Record<string, never>;
  leakyRelu: { slope: number };
  /** Comparisons give 0/1 masks: no gradient flows through them. */
  compare: { op: CompareOp };
  where: Record<string, never>;
  sum: { axes: number[]; keepDim: boolean };
  max: { axes: number[]; keepDim: boolean };
  matmul: Record<string, never>;
  reshape: { shape: number[] };
  permute: { dims: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; ends: number[] };
  pad: { before: number[]; after: number[] };
  concat: { axis: number };
  conv2d: { stride: number; padding: number };
  /** Output padding per spatial dimension (adjoints may need different ones for H and W). */
  convTranspose2d: { stride: number; padding: number; outputPadding: [number, number] };
  conv2dWeightGrad: { stride: number; padding: number; kh: number; kw: number };
  instanceNorm: { eps: number };
  instanceNormGrad: { eps: number };
}

export type Prim = keyof PrimParams;
