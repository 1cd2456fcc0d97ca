"""Rules engine of the règle d'obtention (pure Python, no Django import).

A référentiel's règle d'obtention is data (``docs/referentiel-format.md``, section ``<regle>``).
This module turns that data into frozen typed dataclasses and evaluates it for one candidate:

* ``regle_parse(data) -> Regle`` validates a règle dict and raises ``RegleError(path, message)``
  naming the faulty field (``regle.blocs[2].minimum_points : doit être un entier ≥ 0``; list
  indices are 0-based, as in JSON paths). ``regle_dump(regle) -> dict`` gives back the very same
  dict (same keys in the order of the format doc, ints stay ints, floats stay floats), so
  ``regle_dump(regle_parse(d)) == d`` for every valid ``d``.
* ``propose(regle, structure, resultats, *, date_decision) -> Proposition`` is pure and
  deterministic: it reads its arguments only (never the clock, never the ambient decimal context),
  and returns the proposed decision (``certifie`` / ``partiel`` / ``ajourne``), the validated
  blocs, per-bloc details and the reasons in French. The jury stays sovereign: it accepts or
  overrides the proposition elsewhere.
* Inputs of ``propose`` that contradict the règle or the structure (unknown code, points above
  the maximum, float instead of Decimal…) raise ``EntreeInvalide(path, message)``.

Arithmetic and rounding
-----------------------
All arithmetic uses ``Decimal`` in a private context (precision 28), never floats. Input points
are integers or Decimals with at most 2 decimal places. Every sum and every threshold comparison
is exact (thresholds in /20 are compared by cross-multiplication, ``points × 20 ≥ note × max``,
never on a rounded note). Exactly one rounding happens in point computations: the tuteur grade
after the absence penalty is rounded to 0.01 point, ROUND_HALF_UP (37 × 0.95 = 35.15;
10.30 × 0.95 = 9.785 → 9.79). Notes /20 (``note_sur_20``) are display values: ``points × 20 /
max`` rounded to 2 decimals ROUND_HALF_UP (69/175 → 7.89); they never decide anything, so a bloc at
99.99/250 shows 8.00/20 and is still below its minimum of 100.

Families
--------
* ``toutes_capacites`` (CQPM): ``certifie`` iff every capacité of the structure is ``acquis``;
  otherwise ``ajourne`` (a CQPM has no partial certification) and the reasons list every capacité
  not acquired (non acquise, candidat absent, or non évaluée when missing from the results).
* ``tous_blocs`` (CQPI): a bloc is acquired when all its compétences are ``acquis``;
  ``certifie`` iff every bloc is acquired, else ``partiel`` with the acquired blocs, or
  ``ajourne`` if none.
* ``grille_points`` (RNCP36390): a bloc's points = contrôle continu + épreuves.
  ``certifie`` iff no fraud AND every bloc was presented (or is carried) AND no bloc is below its
  ``minimum_points`` (note éliminatoire, ``points < minimum`` is eliminatory, exactly the
  minimum is not) AND the évaluation professionnelle is complete and ≥ its ``minimum_points``
  AND total ≥ ``seuil_points`` (exactly the seuil passes). A total certification validates every
  bloc, including a bloc between 8/20 and 10/20 (compensated by the general average). Otherwise
  the blocs presented with ``points × 20 ≥ note_conservation_sur_20 × max`` (≥ 10/20) plus the
  carried blocs are validated: ``partiel``, or ``ajourne`` if there is none.

Choices where the seed (règlement d'examen of RNCP36390) is ambiguous
---------------------------------------------------------------------
1. Absence-penalty ranges are left-open, right-closed: ``taux_min < taux ≤ taux_max``. So with
   the seed's ranges 0–2.5 / 2.5–5 / 5–10: a rate of exactly 0 % has no penalty (being never
   absent is not punished), exactly 2.5 % → 5 %, exactly 5 % → 10 %, exactly 10 % → 15 %.
   Above the last range (the seed: "au-delà de 10 % : sanctions du règlement intérieur") the
   last range's penalty (15 %) still applies, so the penalty never decreases when absences
   grow, and the reason flags that further sanctions belong to the établissement. A rate that
   falls in a gap between configured ranges has no penalty. ``taux_absence=None`` means no
   unjustified absence recorded (no penalty). The penalty applies to the tuteur composante
   (code ``tuteur``) only: ``tuteur × (100 − pénalité) / 100``, rounded as above.
2. Bloc épreuves not presented (``epreuves=None`` without the unjustified-absence flag:
   justified absence or not yet taken), a missing contrôle continu, or no result at all for a
   bloc: the bloc is not validated ("la non-présentation à au moins une évaluation de bloc
   induit la non-validation du bloc"), its known points still count in the displayed total, it
   is never eliminatory (it has no complete mark), and total certification is withheld: the
   title is not granted with a bloc that was not evaluated.
3. Unjustified absence at a bloc épreuve (``absence_non_justifiee=True``): the épreuves score 0
   ("absence non justifiée = zéro"), the bloc mark (contrôle continu + 0) counts in the total and
   the eliminatory rule applies to it; as a non-presentation it is also not validated and it
   withholds total certification (rule 2). An unjustified absence at a contrôle-continu
   evaluation is scored 0 by the caller inside the bloc's ``controle_continu`` points.
4. Évaluation professionnelle: a composante ``None`` or missing (rapport not handed in,
   soutenance not attended, no tuteur grade) makes it incomplete: no total certification, but
   the blocs ≥ 10/20 are kept (as the seed says). Its known points still count in the total.
   ``periode_entreprise_absente`` (no period in company, a fact) has the same consequence;
   ``periode_entreprise_justifiee`` (a motif recevable) withholds the title until the make-up.
   ``exemption_epreuve_professionnelle`` (« positionnement effectué en amont »; the caller checks
   who may have it): the évaluation professionnelle is neither required nor counted, and the
   « 10 de moyenne générale » is read on the blocs alone: total over the blocs' points (750),
   seuil in the same proportion (500 × 750 / 1000 = 375, exact Decimal when not integral).
   Sending results of the évaluation professionnelle with the exemption is an input error.
5. Carried blocs (``BlocAcquisAnterieur``): under ``grille_points`` a bloc validated on date D is
   carried iff ``date_decision ≤ D + validite_blocs_annees`` (the anniversary day itself is still
   inside; 29 February + n years → 28 February). An expired one is not carried, the reason says
   so, and the bloc is judged on this attempt's results (if any). A carried bloc counts as
   validated and is never eliminatory (a previous jury validated it). Its ``points`` count in the
   total when given; when unknown, the bloc counts for its conservation floor (10/20 of its
   points, e.g. 125/250), a lower bound of its real mark, and the reason says so. If this attempt
   also has results for a validly carried bloc, the carried validation wins and those results are
   ignored (the reason says so). Under ``tous_blocs`` the règle defines no validity period, so
   carried blocs never expire; under ``toutes_capacites`` carried blocs are refused
   (no partial certification exists to carry).
6. Fraud (``fraude=True``), in every family: the session is invalidated, the decision is
   ``ajourne`` and nothing is validated in this decision, carried blocs included
   (``blocs_valides`` is empty; the reason names the earlier blocs that are not taken up). The
   engine does not revoke certificats de bloc issued earlier: that is not its business. Marks
   are still computed and shown in the details.
7. Retakes: ``ResultatBloc.tentative`` is 1 for the first presentation, 2 for the first retake…;
   it may not exceed ``1 + rattrapages_par_bloc``. ``ResultatsCandidat.reprise`` names the kind
   of retake (``rattrapage``: only the bloc épreuves are passed again, the tuteur grade is kept;
   ``redoublement``: the contrôle continu of the retaken blocs is passed again too; the caller
   copies what is kept); a reprise with a bloc at tentative 1 is an input error. A bloc whose
   épreuves are replaced by a portefeuille de preuves (``ResultatBloc.portefeuille``, salariés)
   is marked on the portefeuille in ``epreuves``; without that mark it is not presented. A bloc not validated reports whether a retake
   remains (``rattrapage_possible``); the 5-year retake window is the caller's business.
8. ``minimum_points`` of a bloc must equal ``note_eliminatoire_sur_20 × points / 20`` exactly
   (parse-time check), so the two ways the format states the eliminatory mark cannot disagree;
   the engine compares against ``minimum_points``."""

from referentiels.regles.engine import propose
from referentiels.regles.model import (
    ABSENCE_NON_JUSTIFIEE_VALEURS,
    CODE_TUTEUR,
    FRAUDE_VALEURS,
    MOTIFS_RECEVABLES,
    REPRISES,
    TYPES_REGLE,
    BlocAcquisAnterieur,
    BlocGrille,
    BlocStructure,
    ComposanteEvaluation,
    Decision,
    DetailBloc,
    DetailComposante,
    DetailEvaluationProfessionnelle,
    EntreeInvalide,
    EtatCapacite,
    EvaluationProfessionnelle,
    PenaliteAbsence,
    Proposition,
    Regle,
    RegleError,
    RegleGrillePoints,
    RegleTousBlocs,
    RegleToutesCapacites,
    ResultatBloc,
    ResultatEvaluationProfessionnelle,
    ResultatsCandidat,
    Structure,
)
from referentiels.regles.parsing import (
    MAX_RATTRAPAGES,
    MAX_VALIDITE_ANNEES,
    regle_declares_grid,
    regle_dump,
    regle_parse,
    regle_rename_bloc,
)

__all__ = [
    "ABSENCE_NON_JUSTIFIEE_VALEURS",
    "BlocAcquisAnterieur",
    "BlocGrille",
    "BlocStructure",
    "CODE_TUTEUR",
    "MOTIFS_RECEVABLES",
    "REPRISES",
    "ComposanteEvaluation",
    "Decision",
    "DetailBloc",
    "DetailComposante",
    "DetailEvaluationProfessionnelle",
    "EntreeInvalide",
    "EtatCapacite",
    "EvaluationProfessionnelle",
    "FRAUDE_VALEURS",
    "MAX_RATTRAPAGES",
    "MAX_VALIDITE_ANNEES",
    "PenaliteAbsence",
    "Proposition",
    "Regle",
    "RegleError",
    "RegleGrillePoints",
    "RegleTousBlocs",
    "RegleToutesCapacites",
    "ResultatBloc",
    "ResultatEvaluationProfessionnelle",
    "ResultatsCandidat",
    "Structure",
    "TYPES_REGLE",
    "propose",
    "regle_declares_grid",
    "regle_dump",
    "regle_rename_bloc",
    "regle_parse",
]
