META
key;value
description;Borgerbudget Juelsminde 2026
country;Denmark
unit;Hedensted
subunit;Juelsminde
instance;juelsminde-2026
num_projects;3
num_votes;4
budget;100000
vote_type;approval
rule;greedy
language;da
currency;DKK
min_length;1
max_length;2
comment;"#1: exported from the verifiable record of round juelsminde-2026; tie-break min-cost,max-votes,lot"
PROJECTS
project_id;cost;votes;name;category;selected
bypark;40000;2;"Bænke; borde i byparken";fritid-og-faellesskab;1
lektiecafe;25000;2;"Lektiecafé ""Viden""";Læring;1
multibane;60000;1;Multibane ved Juelsminde Skole;fritid-og-faellesskab;0
VOTES
voter_id;vote
1;bypark,multibane
2;lektiecafe
3;bypark,lektiecafe
4;
