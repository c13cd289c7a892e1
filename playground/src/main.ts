// The playground page's entry: registers the components; index.html holds <berth-playground>.
import './berth-playground.ts';
