/**
 * @file The one table of backward rules, typed so that every primitive in `prims.ts` must have one:
 * a primitive without a rule does not compile. Each family's rules live beside its forward code.
 */
import { installGradHelpers, installRules, type RuleTable } from '../autograd.ts';
import { elementwiseRules, add } from './elementwise.ts';
import { layoutRules } from './layout.ts';
import { reduceRules } from './reduce.ts';
import { matmulRules } from './matmul.ts';
import { convRules } from './conv.ts';
import { normRules } from './norm.ts';
import { ones } from './creation.ts';

export const rules: RuleTable = {
  ...elementwiseRules,
  ...layoutRules,
  ...reduceRules,
  ...matmulRules,
  ...convRules,
  ...normRules,
};

installRules(rules);
installGradHelpers({ ones, add });
