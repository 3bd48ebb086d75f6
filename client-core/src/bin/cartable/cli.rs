//! Command-line arguments of `cartable`, documented in French (the help text parents read).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Cartable, en ligne de commande : le planning, le dossier et les documents de la famille,
/// même sans réseau.
///
/// Les enfants se désignent par leur prénom (avec ou sans accents), les adultes par leur nom,
/// les activités par leur nom ou leur identifiant (voir `cartable catalogue`). Les dates
/// s'écrivent JJ/MM/AAAA (07/12/2026) ou AAAA-MM-JJ. Hors connexion, les modifications restent
/// sur l'appareil et partent à la prochaine synchronisation.
#[derive(Debug, Parser)]
#[command(name = "cartable", version)]
pub struct Cli {
    /// Dossier du stockage local (par défaut ./cartable-store, ou la variable CARTABLE_STORE).
    #[arg(
        long,
        global = true,
        env = "CARTABLE_STORE",
        hide_env = true,
        hide_default_value = true,
        default_value = "./cartable-store",
        value_name = "DOSSIER"
    )]
    pub store: PathBuf,

    /// Sortie JSON, pour les scripts (les identifiants y figurent).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connecte cet appareil au portail de la structure, puis synchronise.
    Login {
        /// Adresse du portail, par exemple https://portail.mairie.fr.
        #[arg(long, value_name = "ADRESSE")]
        server: String,
        /// Identifiant du parent.
        #[arg(value_name = "IDENTIFIANT")]
        login: String,
        /// Mot de passe (demandé au clavier s'il n'est pas donné, ou variable
        /// CARTABLE_PASSWORD).
        #[arg(
            long,
            env = "CARTABLE_PASSWORD",
            hide_env = true,
            value_name = "MOT_DE_PASSE"
        )]
        password: Option<String>,
        /// Nom de cet appareil dans la liste des appareils du compte.
        #[arg(
            long,
            default_value = "cartable (ligne de commande)",
            hide_default_value = true,
            value_name = "NOM"
        )]
        device_name: String,
        /// Nouveau mot de passe, choisi dès la connexion quand le mot de passe donné par la
        /// structure est à usage unique.
        #[arg(long, env = "CARTABLE_NEW_PASSWORD", hide_env_values = true)]
        new_password: Option<String>,
    },
    /// Change le mot de passe du parent (obligatoire après un mot de passe à usage unique) ;
    /// les autres appareils du compte sont déconnectés.
    Password {
        /// Mot de passe actuel (demandé sur l'entrée standard s'il est absent).
        #[arg(long, env = "CARTABLE_PASSWORD", hide_env_values = true)]
        current: Option<String>,
        /// Nouveau mot de passe : 12 caractères au moins (demandé s'il est absent).
        #[arg(long = "new", env = "CARTABLE_NEW_PASSWORD", hide_env_values = true)]
        new_password: Option<String>,
    },
    /// Déconnecte cet appareil et efface ses données locales.
    Logout,
    /// Envoie les modifications faites sur cet appareil et reçoit celles de la structure.
    Sync,
    /// Dit si cet appareil est connecté, quand il a été synchronisé et ce qui attend l'envoi.
    Status,
    /// Affiche le planning de la semaine (ou du mois) : une ligne par jour, une colonne par
    /// enfant et activité, calculé hors ligne à l'heure du serveur.
    Planning {
        /// Semaine (du lundi au dimanche) contenant cette date ; par défaut la semaine en cours.
        #[arg(long, value_name = "DATE", conflicts_with = "month")]
        week: Option<String>,
        /// Mois contenant cette date.
        #[arg(long, value_name = "DATE")]
        month: Option<String>,
        /// Prénom d'un enfant (répétable) ; par défaut tous les enfants.
        #[arg(long = "child", value_name = "ENFANT")]
        children: Vec<String>,
        /// Montre aussi les jours et activités sans accueil (week-ends…).
        #[arg(long)]
        all: bool,
    },
    /// Liste les demandes d'une année scolaire et les décisions de la structure.
    Requests {
        /// Année scolaire, par exemple 2026-2027 ; par défaut l'année en cours.
        #[arg(long, value_name = "ANNÉE")]
        year: Option<String>,
    },
    /// Réserve une activité pour un enfant un jour donné.
    Book {
        /// Prénom de l'enfant.
        #[arg(value_name = "ENFANT")]
        child: String,
        /// Date, JJ/MM/AAAA.
        #[arg(value_name = "DATE")]
        date: String,
        /// Activité : son nom ou son identifiant (voir `cartable catalogue`).
        #[arg(value_name = "ACTIVITÉ")]
        activity: String,
        /// Enregistre la demande même si la structure la refusera (jour fermé, date limite
        /// passée…) : une demande de dérogation, que la structure peut accepter.
        #[arg(long)]
        insist: bool,
    },
    /// Annule la réservation d'une activité pour un enfant un jour donné.
    Cancel {
        /// Prénom de l'enfant.
        #[arg(value_name = "ENFANT")]
        child: String,
        /// Date, JJ/MM/AAAA.
        #[arg(value_name = "DATE")]
        date: String,
        /// Activité : son nom ou son identifiant.
        #[arg(value_name = "ACTIVITÉ")]
        activity: String,
    },
    /// Réserve des jours de la semaine sur une période, par exemple la cantine les lundis,
    /// mardis, jeudis et vendredis jusqu'aux vacances, pour un ou plusieurs enfants.
    BookPattern(PatternArgs),
    /// Annule les réservations de jours de la semaine sur une période.
    CancelPattern(PatternArgs),
    /// Déclare un enfant absent sur les jours réservés d'une période (maladie…).
    Absence {
        /// Prénom de l'enfant.
        #[arg(value_name = "ENFANT")]
        child: String,
        /// Premier jour d'absence, JJ/MM/AAAA.
        #[arg(value_name = "DU")]
        from: String,
        /// Dernier jour d'absence (par défaut le premier).
        #[arg(value_name = "AU")]
        to: Option<String>,
        /// Motif, par exemple « malade ».
        #[arg(
            long,
            default_value = "",
            hide_default_value = true,
            value_name = "MOTIF"
        )]
        reason: String,
        /// Identifiant d'un justificatif déjà envoyé (certificat médical, voir
        /// `cartable documents`).
        #[arg(long, value_name = "DOCUMENT")]
        document: Option<String>,
    },
    /// Mon dossier : les fiches des enfants et des adultes, et leur validation.
    Dossier {
        #[command(subcommand)]
        action: DossierCommand,
    },
    /// Mes documents : les justificatifs envoyés ou à envoyer.
    Documents {
        #[command(subcommand)]
        action: DocumentsCommand,
    },
    /// Informations : les messages de la structure et ses coordonnées (lisibles hors ligne).
    Infos {
        /// Marque ce message comme lu et l'affiche en entier.
        #[arg(long, value_name = "MESSAGE")]
        read: Option<String>,
    },
    /// Téléchargements : les fichiers mis à disposition par la structure.
    Downloads {
        #[command(subcommand)]
        action: Option<DownloadsCommand>,
    },
    /// Exporte toutes les données de la famille (archive ZIP : un résumé lisible, les
    /// fichiers JSON et les documents envoyés).
    Export {
        /// Fichier à écrire, par exemple mes-donnees.zip.
        #[arg(value_name = "FICHIER")]
        file: PathBuf,
    },
    /// Mes Factures : factures, avoirs et relevés, avec leur numéro et leur état.
    Factures {
        #[command(subcommand)]
        action: Option<InvoicesCommand>,
    },
    /// Le solde du compte et les paiements reçus.
    Solde,
    /// Les activités proposées par la structure, avec leurs identifiants.
    Catalogue,
    /// Les appareils connectés à ce compte.
    Devices,
    /// Notifications push : ce que l'application déclare à son service de notification,
    /// l'abonnement enregistré sur le serveur, et la lecture d'un message reçu.
    Push {
        #[command(subcommand)]
        action: PushCommand,
    },
    /// Révoque un appareil de ce compte (téléphone perdu…).
    Revoke {
        /// Identifiant de l'appareil (voir `cartable devices`).
        #[arg(value_name = "APPAREIL")]
        device_id: String,
    },
}

/// `cartable factures ...`.
#[derive(Debug, Subcommand)]
pub enum InvoicesCommand {
    /// Récupère le PDF d'une facture pour le lire hors ligne et affiche son chemin.
    Pdf {
        /// Numéro de la facture, par exemple F2026-000042.
        #[arg(value_name = "NUMERO")]
        number: String,
        /// Copie aussi le PDF à cet endroit.
        #[arg(long, value_name = "FICHIER")]
        to: Option<PathBuf>,
    },
}

/// `cartable downloads ...`.
#[derive(Debug, Subcommand)]
pub enum DownloadsCommand {
    /// Liste les fichiers (par défaut).
    List,
    /// Récupère un fichier pour le lire hors ligne et affiche son emplacement.
    Get {
        /// Identifiant du fichier (voir `cartable downloads`).
        #[arg(value_name = "FICHIER")]
        id: String,
        /// Copie aussi le fichier à cet endroit.
        #[arg(long, value_name = "CHEMIN")]
        to: Option<PathBuf>,
    },
}

/// `cartable documents ...`.
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Liste les documents (envoie d'abord ceux en attente, si le réseau le permet).
    List,
    /// Met un fichier (PDF, JPEG ou PNG) en file d'envoi, puis tente de l'envoyer.
    Send {
        /// Le fichier.
        #[arg(value_name = "FICHIER")]
        file: PathBuf,
        /// Type de document : attestation de quotient familial, assurance, certificat médical,
        /// vaccination, PAI, jugement de garde ou autre.
        #[arg(long, value_name = "TYPE")]
        kind: String,
        /// Prénom de l'enfant concerné.
        #[arg(long, value_name = "ENFANT")]
        child: Option<String>,
        /// Fin de validité, JJ/MM/AAAA.
        #[arg(long, value_name = "DATE")]
        valid_until: Option<String>,
    },
    /// Retire de la file d'envoi un document que la structure n'a pas encore reçu.
    Cancel {
        /// Identifiant local du document (voir `cartable documents list --json`).
        #[arg(value_name = "DOCUMENT")]
        local_id: String,
    },
}

/// Arguments of `book-pattern` and `cancel-pattern`.
#[derive(Debug, clap::Args)]
pub struct PatternArgs {
    /// Premier jour, JJ/MM/AAAA.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Dernier jour, inclus.
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// Prénom d'un enfant (répétable).
    #[arg(long = "child", value_name = "ENFANT", required = true)]
    pub children: Vec<String>,
    /// Activité, par son nom ou son identifiant ; répétable, chaque `--activity` allant avec le
    /// `--days` de même rang.
    #[arg(long = "activity", value_name = "ACTIVITÉ", required = true)]
    pub activities: Vec<String>,
    /// Jours de la semaine : lun,mar,jeu,ven ou lun-ven ou 1,2,4,5 (1 = lundi).
    #[arg(long = "days", value_name = "JOURS", required = true)]
    pub days: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DossierCommand {
    /// Affiche le dossier et où en est sa validation par la structure.
    Show,
    /// « Je valide mes modifications » : envoie le dossier à la structure pour validation (à la
    /// prochaine synchronisation).
    Submit,
    /// Modifie un champ de la fiche d'un enfant ou d'un adulte.
    ///
    /// Champs d'un enfant : prénom, nom, date de naissance, école, classe, régime, allergies
    /// (séparées par des virgules), PAI, traitements, médecin, vaccins, droit à l'image, peut
    /// partir seul. Champs d'un adulte : prénom, nom, portable, fixe, travail, courriel,
    /// adresse, responsable légal, autorisé à récupérer, payeur, contact d'urgence, quotient
    /// familial, numéro CAF. Les régimes s'écrivent en toutes lettres (« sans porc »,
    /// « végétarien »…), les autorisations par oui ou non.
    Set {
        /// enfant ou adulte.
        #[arg(value_parser = ["enfant", "adulte", "child", "adult"], hide_possible_values = true, value_name = "FICHE")]
        sheet: String,
        /// Prénom de l'enfant, ou nom de l'adulte.
        #[arg(value_name = "NOM")]
        name: String,
        /// Champ, par exemple régime, école, portable.
        #[arg(value_name = "CHAMP")]
        field: String,
        /// Nouvelle valeur.
        #[arg(value_name = "VALEUR")]
        value: String,
    },
    /// Garde l'une des valeurs d'un champ que deux parents ont rempli différemment hors
    /// connexion (voir `cartable dossier show`).
    Keep {
        /// enfant ou adulte.
        #[arg(value_parser = ["enfant", "adulte", "child", "adult"], hide_possible_values = true, value_name = "FICHE")]
        sheet: String,
        /// Prénom de l'enfant, ou nom de l'adulte.
        #[arg(value_name = "NOM")]
        name: String,
        /// Champ, par exemple régime.
        #[arg(value_name = "CHAMP")]
        field: String,
        /// La valeur à garder, telle qu'affichée (par exemple « Sans porc »).
        #[arg(value_name = "VALEUR")]
        value: String,
    },
    /// Ajoute un enfant au dossier.
    AddChild {
        /// Prénom.
        #[arg(value_name = "PRÉNOM")]
        first_name: String,
        /// Nom.
        #[arg(value_name = "NOM")]
        last_name: String,
        /// Date de naissance, JJ/MM/AAAA.
        #[arg(value_name = "NAISSANCE")]
        birth_date: String,
    },
    /// Ajoute un adulte au dossier.
    AddAdult {
        /// Prénom.
        #[arg(value_name = "PRÉNOM")]
        first_name: String,
        /// Nom.
        #[arg(value_name = "NOM")]
        last_name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PushCommand {
    /// Affiche la clé VAPID du serveur, les clés de cet appareil (p256dh, auth) et
    /// l'abonnement enregistré sur le serveur.
    Show,
    /// Enregistre l'adresse donnée par le service de notification et les sujets voulus.
    Register {
        /// Adresse (endpoint) donnée par le service de notification.
        endpoint: String,
        /// Sujet voulu (répétable) : invoice, information, booking, document, dossier ;
        /// tous par défaut.
        #[arg(long = "kind", value_name = "SUJET")]
        kinds: Vec<String>,
    },
    /// Arrête les notifications sur cet appareil.
    Unregister,
    /// Déchiffre un message reçu (corps aes128gcm brut, fichier ou `-` pour l'entrée
    /// standard) et affiche la notification.
    Open {
        file: PathBuf,
        /// Synchronise d'abord, comme l'application à la réception.
        #[arg(long)]
        sync: bool,
    },
}
