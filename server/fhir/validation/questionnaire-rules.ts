/**
 * A QuestionnaireResponse whose Questionnaire is known (registered, or under profiles/) answers only items the
 * Questionnaire defines: every linkId must exist there.
 */
import type { OperationOutcomeIssue, Questionnaire, QuestionnaireItem } from '@medplum/fhirtypes';

type ResponseItem = { linkId?: unknown; item?: unknown; answer?: { item?: unknown }[] };

export function checkQuestionnaireResponse(
  resource: Record<string, unknown>,
  findQuestionnaire: (url: string) => Questionnaire | undefined,
  path = 'QuestionnaireResponse',
): OperationOutcomeIssue[] {
  if (resource.resourceType !== 'QuestionnaireResponse' || typeof resource.questionnaire !== 'string') return [];
  const questionnaire = findQuestionnaire(resource.questionnaire);
  if (!questionnaire) return [];
  const linkIds = new Set<string>();
  const collect = (items: QuestionnaireItem[] | undefined) => {
    for (const item of items ?? []) {
      linkIds.add(item.linkId);
      collect(item.item);
    }
  };
  collect(questionnaire.item);
  const issues: OperationOutcomeIssue[] = [];
  const visit = (items: unknown, at: string) => {
    if (!Array.isArray(items)) return;
    (items as ResponseItem[]).forEach((item, i) => {
      const here = `${at}.item[${i}]`;
      if (typeof item?.linkId === 'string' && !linkIds.has(item.linkId)) {
        issues.push({
          severity: 'error',
          code: 'structure',
          details: { text: `LinkId '${item.linkId}' not found in questionnaire ${resource.questionnaire as string}` },
          expression: [`${here}.linkId`],
        });
      }
      visit(item?.item, here);
      (Array.isArray(item?.answer) ? item.answer : []).forEach((answer, j) =>
        visit(answer?.item, `${here}.answer[${j}]`),
      );
    });
  };
  visit(resource.item, path);
  return issues;
}
