/**
 * @file The primitive ops the autograd tape knows, with the parameters each one records. Every
 * primitive must have a backward rule in the typed table of `ops/rules.ts`; adding a name here
 * without a rule there is a compile error.
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow';
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'relu' | 'tanh' | 'sigmoid';
export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';
/** Functions with a fused backward (activationGrad): the activations, and abs (its derivative is sign, 0 at 0). */
export type Activation = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'abs';

/**
 * The number operands of an elementwise op, by operand position (null where the operand is a tensor),
 * or null when all are tensors. Numbers are kernel uniforms, not tensors: the node's inputs are the
 * tensor operands alone, in order.
 */
export type Consts = readonly (number | null)[] | null;

export interface PrimParams {
  add: { consts: Consts };
  sub: { consts: Consts };
  mul: { consts: Consts };
  div: { consts: Consts };
  pow: { consts: Consts };
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
  compare: { op: CompareOp; consts: Consts };
  where: { consts: Consts };
  /**
   * The backward of an activation as one kernel: activationGrad(y, g) = g·f'(·), with y the activation's
   * input (relu, leakyRelu) or output (tanh, sigmoid), whichever f' is cheaper in. A primitive with its
   * own rule, so second derivatives still flow.
   */
  activationGrad: { act: Activation; slope: number };
  /**
   * Binary cross-entropy of logits z against targets y, elementwise (PyTorch's
   * binary_cross_entropy_with_logits, reduction 'none'): one kernel for what is eleven ops unfused.
   */
  bceWithLogits: Record<string, never>;
  /** divisor: 1, or n for a mean (Σ / n in one kernel). */
  sum: { axes: number[]; keepDim: boolean; divisor: number };
  max: { axes: number[]; keepDim: boolean };
  matmul: Record<string, never>;
  reshape: { shape: number[] };
  permute: { dims: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; ends: number[] };
  pad: { before: number[]; after: number[] };
  concat: { axis: number };
  /** leakyRelu: the slope of a fused LeakyReLU on the output, or null. */
  conv2d: { stride: number; padding: number; leakyRelu: number | null };
  /** Output padding per spatial dimension (adjoints may need different ones for H and W). */
  convTranspose2d: { stride: number; padding: number; outputPadding: [number, number] };
  conv2dWeightGrad: { stride: number; padding: number; kh: number; kw: number };
  /** relu: the output is max(x̂, 0) (an InstanceNorm2d followed by a ReLU, fused). */
  instanceNorm: { eps: number; relu: boolean };
  /** relu: inputs [x, u, y], u masked to y > 0 (the backward of a norm fused with a ReLU). */
  instanceNormGrad: { eps: number; relu: boolean };
}

export type Prim = keyof PrimParams;
