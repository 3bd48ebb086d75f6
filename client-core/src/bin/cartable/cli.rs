//! Command-line arguments of `cartable`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Cartable, en ligne de commande : réservations et dossier famille, même hors ligne.
#[derive(Debug, Parser)]
#[command(name = "cartable", version, about)]
pub struct Cli {
    /// Dossier du stockage local.
    #[arg(
        long,
        global = true,
        env = "CARTABLE_STORE",
        default_value = "./cartable-store"
    )]
    pub store: PathBuf,

    /// Sortie JSON lisible par une machine.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connecte cet appareil puis synchronise.
    Login {
        /// Adresse du serveur, par exemple `https://portail.mairie.fr`.
        #[arg(long)]
        server: String,
        /// Identifiant du parent.
        login: String,
        /// Mot de passe (demandé sur l'entrée standard s'il est absent).
        #[arg(long, env = "CARTABLE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Nom de l'appareil dans la liste des appareils.
        #[arg(long, default_value = "cartable (ligne de commande)")]
        device_name: String,
    },
    /// Déconnecte cet appareil et efface ses données locales.
    Logout,
    /// Synchronise avec le serveur.
    Sync,
    /// État de la connexion et de la synchronisation.
    Status,
    /// Affiche le planning (semaine en cours par défaut) : une ligne par jour, une colonne par
    /// enfant et activité, calculé hors ligne avec l'heure du serveur.
    Planning {
        /// Semaine (du lundi au dimanche) contenant cette date.
        #[arg(long, value_name = "DATE", conflicts_with = "month")]
        week: Option<String>,
        /// Mois contenant cette date.
        #[arg(long, value_name = "DATE")]
        month: Option<String>,
        /// Identifiant ou prénom d'un enfant (répétable ; par défaut tous).
        #[arg(long = "child", value_name = "ENFANT")]
        children: Vec<String>,
        /// Montre aussi les jours et activités sans accueil (week-ends…).
        #[arg(long)]
        all: bool,
    },
    /// Liste les demandes d'une année scolaire et leurs décisions (par défaut l'année en cours).
    Requests {
        /// Année scolaire, par exemple 2026-2027.
        #[arg(long)]
        year: Option<String>,
    },
    /// Réserve un motif hebdomadaire sur une période, par exemple la cantine les lundis,
    /// mardis, jeudis et vendredis jusqu'aux vacances.
    BookPattern(PatternArgs),
    /// Annule les réservations d'un motif hebdomadaire sur une période.
    CancelPattern(PatternArgs),
    /// Déclare un enfant absent sur les jours réservés d'une période.
    Absence {
        /// Identifiant ou prénom de l'enfant.
        child: String,
        /// Premier jour d'absence (AAAA-MM-JJ ou JJ/MM/AAAA).
        from: String,
        /// Dernier jour d'absence (par défaut le premier).
        to: Option<String>,
        /// Motif, par exemple « malade ».
        #[arg(long, default_value = "")]
        reason: String,
        /// Identifiant d'un justificatif déjà envoyé (certificat médical).
        #[arg(long)]
        document: Option<String>,
    },
    /// Demande une réservation.
    Book {
        /// Identifiant ou prénom de l'enfant.
        child: String,
        /// Date (AAAA-MM-JJ ou JJ/MM/AAAA).
        date: String,
        /// Identifiant de l'activité (voir `cartable catalogue`).
        activity: String,
    },
    /// Demande l'annulation d'une réservation.
    Cancel {
        /// Identifiant ou prénom de l'enfant.
        child: String,
        /// Date (AAAA-MM-JJ ou JJ/MM/AAAA).
        date: String,
        /// Identifiant de l'activité.
        activity: String,
    },
    /// Le dossier famille.
    Dossier {
        #[command(subcommand)]
        action: DossierCommand,
    },
    /// Mes Documents : les pièces justificatives envoyées ou à envoyer.
    Documents {
        #[command(subcommand)]
        action: DocumentsCommand,
    },
    /// Informations : messages de la structure et ses coordonnées (hors ligne).
    Infos {
        /// Marque ce message comme lu, puis l'affiche.
        #[arg(long)]
        read: Option<String>,
    },
    /// Téléchargement : fichiers mis à disposition par la structure.
    Downloads {
        #[command(subcommand)]
        action: Option<DownloadsCommand>,
    },
    /// Enregistre toutes les données de la famille (archive ZIP : JSON et fichiers envoyés).
    Export {
        /// Fichier de destination, par exemple `mes-donnees.zip`.
        file: PathBuf,
    },
    /// Les activités proposées par la structure.
    Catalogue,
    /// Les appareils connectés à ce compte.
    Devices,
    /// Révoque un appareil.
    Revoke {
        /// Identifiant de l'appareil (voir `cartable devices`).
        device_id: String,
    },
}

/// `cartable downloads ...`.
#[derive(Debug, Subcommand)]
pub enum DownloadsCommand {
    /// Liste les fichiers (par défaut).
    List,
    /// Récupère un fichier pour le lire hors ligne et affiche son chemin.
    Get {
        /// Identifiant du fichier (voir `cartable downloads`).
        id: String,
        /// Copie aussi le fichier à cet endroit.
        #[arg(long)]
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
        file: PathBuf,
        /// Type : qf_certificate, insurance, medical_note, vaccinations, pai,
        /// custody_ruling ou other.
        #[arg(long)]
        kind: String,
        /// Identifiant ou prénom de l'enfant concerné.
        #[arg(long)]
        child: Option<String>,
        /// Fin de validité (AAAA-MM-JJ ou JJ/MM/AAAA).
        #[arg(long)]
        valid_until: Option<String>,
    },
    /// Retire de la file d'envoi un document pas encore reçu par la structure.
    Cancel {
        /// Identifiant local du document (voir `cartable documents --json`).
        local_id: String,
    },
}

/// Arguments of `book-pattern` and `cancel-pattern`.
#[derive(Debug, clap::Args)]
pub struct PatternArgs {
    /// Premier jour (AAAA-MM-JJ ou JJ/MM/AAAA).
    #[arg(long)]
    pub from: String,
    /// Dernier jour, inclus.
    #[arg(long)]
    pub to: String,
    /// Identifiant ou prénom d'un enfant (répétable).
    #[arg(long = "child", value_name = "ENFANT", required = true)]
    pub children: Vec<String>,
    /// Identifiant d'une activité (voir `cartable catalogue`) ; répétable, chaque `--activity`
    /// allant avec le `--days` de même rang.
    #[arg(long = "activity", value_name = "ACTIVITÉ", required = true)]
    pub activities: Vec<String>,
    /// Jours de la semaine : lun,mar,jeu,ven ou 1,2,4,5 ou lun-ven.
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
    /// Modifie un champ d'une fiche.
    Set {
        /// child ou adult.
        #[arg(value_parser = ["child", "adult"])]
        sheet: String,
        /// Identifiant de la fiche (ou prénom de l'enfant).
        id: String,
        /// Nom du champ, par exemple school, diet, mobile_phone.
        field: String,
        /// Nouvelle valeur.
        value: String,
    },
    /// Ajoute un enfant.
    AddChild {
        first_name: String,
        last_name: String,
        /// Date de naissance, AAAA-MM-JJ.
        birth_date: String,
    },
    /// Ajoute un adulte.
    AddAdult {
        first_name: String,
        last_name: String,
    },
}
