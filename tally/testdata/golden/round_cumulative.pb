META
key;value
description;Borgerbudget Juelsminde 2026
country;Denmark
unit;Hedensted
subunit;Juelsminde
instance;juelsminde-2026
num_projects;3
num_votes;3
budget;100000
vote_type;cumulative
rule;greedy-points
language;da
currency;DKK
max_points;10
max_sum_points;10
comment;"#1: exported from the verifiable record of round juelsminde-2026; tie-break min-cost,max-votes,lot"
PROJECTS
project_id;cost;score;name;category;selected
bypark;40000;3;"Bænke; borde i byparken";fritid-og-faellesskab;1
lektiecafe;25000;10;"Lektiecafé ""Viden""";Læring;1
multibane;60000;7;Multibane ved Juelsminde Skole;fritid-og-faellesskab;0
VOTES
voter_id;vote;points
1;multibane,bypark;7,3
2;lektiecafe;10
3;None;None
