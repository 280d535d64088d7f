/**
 * Redaction rules: what the output guard removes, and how a stream follows text that could still
 * grow into a match. Every regex here is linear-time: quantifiers are bounded or run over
 * character sets that their neighbours cannot also match.
 */
import type { RedactionRule } from './redaction-rule';
import { apiKeyAssignmentRule, awsSecretKeyRule, passwordAssignmentRule } from './redaction-rules-assignments';
import { apiKeyRule, basicAuthRule, bearerTokenRule, jwtRule, privateKeyRule } from './redaction-rules-keys';
import { cardNumberRule, emailRule } from './redaction-rules-personal';

/** The rule type and its optional outlines. */
export type { RedactionRule, RuleBlock, RuleShape, ShapeStep } from './redaction-rule';
/** Helpers to write a rule's tail and shape. */
export { literalAtoms, literalSteps, prefixChain, run } from './redaction-kit';
/** Card checks the card rule uses. */
export { cardBrand, luhnValid } from './card-number';
/** The built-in rules, one by one (see each one's comment). */
export {
  apiKeyAssignmentRule, apiKeyRule, awsSecretKeyRule, basicAuthRule, bearerTokenRule, cardNumberRule, emailRule, jwtRule,
  passwordAssignmentRule, privateKeyRule,
};

/**
 * The built-in rules, in priority order (at one position, the first rule that accepts wins): private-key
 * blocks, bearer tokens, Basic credentials, JWTs, API keys, AWS secret keys, API-key assignments,
 * password/secret/token assignments, e-mail addresses, card numbers.
 */
export const builtInRules: readonly RedactionRule[] = Object.freeze([
  privateKeyRule, bearerTokenRule, basicAuthRule, jwtRule, apiKeyRule, awsSecretKeyRule, apiKeyAssignmentRule, passwordAssignmentRule,
  emailRule, cardNumberRule,
]);
